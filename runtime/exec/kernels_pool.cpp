// Max, average and global max pooling (NHWC) and their gradients. TF
// semantics: 'same' padding cells are excluded from the max and from the
// average's count; ties go to the first maximum in window scan order
// (row-major kh, kw), and the max gradient is routed only there.
#include <algorithm>

#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

namespace {

/// For every output element (b,oh,ow,c) of a max pool, the flat index into x
/// of its window's first maximum. Every window holds at least one input cell
/// (padding never exceeds window - 1), so the index is always valid.
std::vector<std::int64_t> window_argmax(const Tensor& x, const Window& g) {
  std::vector<std::int64_t> arg(static_cast<std::size_t>(g.B * g.OH * g.OW * g.C), -1);
  const float* px = x.data();
  for (std::int64_t b = 0; b < g.B; ++b)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        std::int64_t* a = arg.data() + ((b * g.OH + oh) * g.OW + ow) * g.C;
        for (std::int64_t kh = 0; kh < g.KH; ++kh) {
          const std::int64_t ih = oh * g.SH + kh - g.PH;
          if (ih < 0 || ih >= g.H) continue;
          for (std::int64_t kw = 0; kw < g.KW; ++kw) {
            const std::int64_t iw = ow * g.SW + kw - g.PW;
            if (iw < 0 || iw >= g.W) continue;
            const std::int64_t base = ((b * g.H + ih) * g.W + iw) * g.C;
            for (std::int64_t c = 0; c < g.C; ++c)
              if (a[c] < 0 || px[base + c] > px[a[c]]) a[c] = base + c;  // strict: first max wins
          }
        }
      }
  return arg;
}

/// Number of input (non-padding) cells in the window of output (oh, ow).
std::int64_t cells_in_window(const Window& g, std::int64_t oh, std::int64_t ow) {
  auto inside = [](std::int64_t start, std::int64_t k, std::int64_t n) {
    return std::min(start + k, n) - std::max<std::int64_t>(start, 0);
  };
  return inside(oh * g.SH - g.PH, g.KH, g.H) * inside(ow * g.SW - g.PW, g.KW, g.W);
}

}  // namespace

Tensor maxpool2d(const Tensor& x, const ir::Attrs& attrs) {
  const Window g = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  const std::vector<std::int64_t> arg = window_argmax(x, g);
  Tensor out = empty({g.B, g.OH, g.OW, g.C});
  for (std::size_t i = 0; i < arg.size(); ++i) out.data()[i] = x.data()[arg[i]];
  return out;
}

Tensor maxpool2d_grad(const Tensor& x, const Tensor& g, const ir::Attrs& attrs) {
  const Window geo = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  const std::vector<std::int64_t> arg = window_argmax(x, geo);
  Tensor dx = zeros(shape_of(x));
  // += because overlapping windows (stride < window) may share a maximum.
  for (std::size_t i = 0; i < arg.size(); ++i) dx.data()[arg[i]] += g.data()[i];
  return dx;
}

Tensor avgpool2d(const Tensor& x, const ir::Attrs& attrs) {
  const Window g = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  Tensor out = zeros({g.B, g.OH, g.OW, g.C});
  const float* px = x.data();
  for (std::int64_t b = 0; b < g.B; ++b)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        float* o = out.data() + ((b * g.OH + oh) * g.OW + ow) * g.C;
        for (std::int64_t kh = 0; kh < g.KH; ++kh) {
          const std::int64_t ih = oh * g.SH + kh - g.PH;
          if (ih < 0 || ih >= g.H) continue;
          for (std::int64_t kw = 0; kw < g.KW; ++kw) {
            const std::int64_t iw = ow * g.SW + kw - g.PW;
            if (iw < 0 || iw >= g.W) continue;
            const float* xi = px + ((b * g.H + ih) * g.W + iw) * g.C;
            for (std::int64_t c = 0; c < g.C; ++c) o[c] += xi[c];
          }
        }
        const float inv = 1.0f / static_cast<float>(cells_in_window(g, oh, ow));
        for (std::int64_t c = 0; c < g.C; ++c) o[c] *= inv;
      }
  return out;
}

Tensor avgpool2d_grad(const Tensor& g, const ir::Attrs& attrs, const ir::Shape& x_shape) {
  const Window geo = window(x_shape, attrs.window_h, attrs.window_w, attrs);
  Tensor dx = zeros(x_shape);
  for (std::int64_t b = 0; b < geo.B; ++b)
    for (std::int64_t oh = 0; oh < geo.OH; ++oh)
      for (std::int64_t ow = 0; ow < geo.OW; ++ow) {
        const float* gi = g.data() + ((b * geo.OH + oh) * geo.OW + ow) * geo.C;
        const float inv = 1.0f / static_cast<float>(cells_in_window(geo, oh, ow));
        for (std::int64_t kh = 0; kh < geo.KH; ++kh) {
          const std::int64_t ih = oh * geo.SH + kh - geo.PH;
          if (ih < 0 || ih >= geo.H) continue;
          for (std::int64_t kw = 0; kw < geo.KW; ++kw) {
            const std::int64_t iw = ow * geo.SW + kw - geo.PW;
            if (iw < 0 || iw >= geo.W) continue;
            float* dxi = dx.data() + ((b * geo.H + ih) * geo.W + iw) * geo.C;
            for (std::int64_t c = 0; c < geo.C; ++c) dxi[c] += gi[c] * inv;
          }
        }
      }
  return dx;
}

namespace {

/// Flat index into x (B,H,W,C) of the first maximum over (h, w) for each (b, c).
std::vector<std::int64_t> global_argmax(const Tensor& x) {
  const auto B = static_cast<std::int64_t>(x.shape()[0]), HW = static_cast<std::int64_t>(x.shape()[1] * x.shape()[2]),
             C = static_cast<std::int64_t>(x.shape()[3]);
  std::vector<std::int64_t> arg(static_cast<std::size_t>(B * C));
  for (std::int64_t b = 0; b < B; ++b) {
    std::int64_t* a = arg.data() + b * C;
    for (std::int64_t c = 0; c < C; ++c) a[c] = b * HW * C + c;
    for (std::int64_t p = 1; p < HW; ++p)
      for (std::int64_t c = 0; c < C; ++c) {
        const std::int64_t i = (b * HW + p) * C + c;
        if (x.data()[i] > x.data()[a[c]]) a[c] = i;
      }
  }
  return arg;
}

}  // namespace

Tensor global_maxpool2d(const Tensor& x) {
  const std::vector<std::int64_t> arg = global_argmax(x);
  Tensor out = empty({static_cast<std::int64_t>(x.shape()[0]), static_cast<std::int64_t>(x.shape()[3])});
  for (std::size_t i = 0; i < arg.size(); ++i) out.data()[i] = x.data()[arg[i]];
  return out;
}

Tensor global_maxpool2d_grad(const Tensor& x, const Tensor& g) {
  const std::vector<std::int64_t> arg = global_argmax(x);
  Tensor dx = zeros(shape_of(x));
  for (std::size_t i = 0; i < arg.size(); ++i) dx.data()[arg[i]] += g.data()[i];
  return dx;
}

}  // namespace tl::exec::kernels
