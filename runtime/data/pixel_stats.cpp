// Pixel statistics from a byte histogram: one pass over the samples' bytes,
// then the mean and variance of the 256 mapped values weighted by count.
#include "runtime/data/pixel_stats.hpp"

#include <array>
#include <cmath>
#include <stdexcept>

namespace tl::data {

PixelStats pixel_stats(const Dataset& ds) {
  if (ds.has_float_pixels()) throw std::logic_error("pixel_stats: the dataset holds float images, not bytes");
  std::array<std::uint64_t, 256> count{};
  const std::size_t sample = ds.sample_bytes();
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const std::uint8_t* p = ds.sample(i);
    for (std::size_t k = 0; k < sample; ++k) ++count[p[k]];
  }
  PixelStats s;
  s.values = static_cast<std::uint64_t>(ds.size()) * sample;
  if (s.values == 0) return s;
  const float scale = ds.pixels.float_scale(), offset = ds.pixels.float_offset();
  auto value = [&](int b) { return static_cast<double>(static_cast<float>(b) * scale + offset); };
  const auto n = static_cast<double>(s.values);
  double sum = 0;
  for (int b = 0; b < 256; ++b) sum += static_cast<double>(count[static_cast<std::size_t>(b)]) * value(b);
  s.mean = sum / n;
  double squares = 0;  // two passes: no cancellation for a large mean
  for (int b = 0; b < 256; ++b) {
    const double d = value(b) - s.mean;
    squares += static_cast<double>(count[static_cast<std::size_t>(b)]) * d * d;
  }
  s.std = std::sqrt(squares / n);
  return s;
}

}  // namespace tl::data
