// The runtime's tensor type: a row-major float32 xtensor array. Images are
// NHWC, dense kernels (N, M), conv kernels HWIO; labels are stored as floats
// holding small integers.
#pragma once

#include <xtensor/xarray.hpp>

namespace tl {
using Tensor = xt::xarray<float, xt::layout_type::row_major>;
}
