// Pixel statistics of a dataset: the mean and standard deviation of every
// pixel value of every sample, as batches deliver them (the view's pixel map
// applied), over all channels and per channel. `normalize from D` in a script
// standardises by D's statistics (`per channel`: by each channel's).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/data/dataset.hpp"

namespace tl::data {

struct PixelStats {
  double mean = 0.0;
  double std = 0.0;          ///< population standard deviation (divides by the count)
  std::uint64_t values = 0;  ///< how many pixel values (samples * H * W * C)
  /// The same for each channel (NHWC: value k is channel k % C); empty when values is 0.
  std::vector<double> channel_mean, channel_std;
};

/// Statistics over all of `ds`'s pixel values (bytes, or a NumPy source's floats), each value * scale +
/// offset (ds.pixels' floats) as data::gather computes it, summed in double.
/// Counts each byte value once (a 256-bin histogram), so the result does not
/// depend on the sample order (floats: two passes over the values). An
/// empty dataset gives values 0, mean 0, std 0.
PixelStats pixel_stats(const Dataset& ds);

}  // namespace tl::data
