// Pixel statistics from byte histograms: one pass over the samples' bytes
// counting each channel's byte values, then the mean and variance of the 256
// mapped values of each channel weighted by count. An image folder is read
// in chunks, every image once.
#include "runtime/data/pixel_stats.hpp"

#include <array>
#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

#include "runtime/data/batches.hpp"

namespace tl::data {

namespace {

/// Mean and population std from per-channel sums in double: `sums[c]` and
/// `squares[c]` (around the channel's mean) over `per_channel` values each.
void finish(PixelStats& s, const std::vector<double>& sum, const std::vector<double>& squares, double per_channel,
            double overall_squares) {
  const double n = static_cast<double>(s.values);
  for (std::size_t c = 0; c < sum.size(); ++c) {
    s.channel_mean.push_back(sum[c] / per_channel);
    s.channel_std.push_back(std::sqrt(squares[c] / per_channel));
  }
  s.mean = std::accumulate(sum.begin(), sum.end(), 0.0) / n;
  s.std = std::sqrt(overall_squares / n);
}

/// Float samples (NumPy float data): two passes in double over the mapped values.
PixelStats float_stats(const Dataset& ds) {
  PixelStats s;
  const std::size_t sample = ds.sample_bytes(), channels = static_cast<std::size_t>(ds.channels);
  s.values = static_cast<std::uint64_t>(ds.size()) * sample;
  if (s.values == 0) return s;
  std::vector<float> mapped(sample);
  std::vector<double> sum(channels, 0.0), squares(channels, 0.0);
  for (std::size_t i = 0; i < ds.size(); ++i) {
    map_floats(ds.float_sample(i), sample, ds.pixels, channels, mapped.data());
    for (std::size_t k = 0; k < sample; ++k) sum[k % channels] += static_cast<double>(mapped[k]);
  }
  const double per_channel = static_cast<double>(s.values / channels);
  const double mean = std::accumulate(sum.begin(), sum.end(), 0.0) / static_cast<double>(s.values);
  double overall = 0;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    map_floats(ds.float_sample(i), sample, ds.pixels, channels, mapped.data());
    for (std::size_t k = 0; k < sample; ++k) {
      const double v = static_cast<double>(mapped[k]), d = v - sum[k % channels] / per_channel;
      squares[k % channels] += d * d;
      overall += (v - mean) * (v - mean);
    }
  }
  finish(s, sum, squares, per_channel, overall);
  return s;
}

}  // namespace

PixelStats pixel_stats(const Dataset& ds) {
  if (ds.has_float_pixels()) return float_stats(ds);
  const std::size_t sample = ds.sample_bytes(), channels = static_cast<std::size_t>(ds.channels);
  std::vector<std::array<std::uint64_t, 256>> count(channels, std::array<std::uint64_t, 256>{});
  auto add = [&](const std::uint8_t* p) {
    for (std::size_t k = 0, c = 0; k < sample; ++k) {
      ++count[c][p[k]];
      if (++c == channels) c = 0;
    }
  };
  std::uint64_t samples = 0;
  if (ds.is_lazy()) {
    // Chunks of images, the next one decoding while this one is counted.
    constexpr std::size_t chunk = 256;
    std::vector<std::uint32_t> order(ds.size());
    std::iota(order.begin(), order.end(), 0u);
    std::vector<std::uint8_t> bytes(chunk * sample);
    std::unique_ptr<bool[]> ok(new bool[chunk]);
    for (std::size_t b = 0, chunks = batch_count(ds.size(), chunk); b < chunks; ++b) {
      const auto ids = batch_indices(order, chunk, b);
      prefetch_batches(ds, order, chunk, b, 1);
      read_samples(ds, ids.data(), ids.size(), bytes.data(), ok.get());
      for (std::size_t i = 0; i < ids.size(); ++i)
        if (ok[i]) {  // a bad file skipped is not counted
          ++samples;
          add(bytes.data() + i * sample);
        }
    }
  } else {
    for (std::size_t i = 0; i < ds.size(); ++i) add(ds.sample(i));
    samples = ds.size();
  }
  PixelStats s;
  s.values = samples * sample;
  if (s.values == 0) return s;
  auto value = [&](std::size_t c, int b) {
    return static_cast<double>(static_cast<float>(b) * ds.pixels.float_scale(c) + ds.pixels.float_offset(c));
  };
  const double per_channel = static_cast<double>(s.values / channels);
  std::vector<double> sum(channels, 0.0), squares(channels, 0.0);
  for (std::size_t c = 0; c < channels; ++c)
    for (int b = 0; b < 256; ++b) sum[c] += static_cast<double>(count[c][static_cast<std::size_t>(b)]) * value(c, b);
  const double mean = std::accumulate(sum.begin(), sum.end(), 0.0) / static_cast<double>(s.values);
  double overall = 0;  // two passes: no cancellation for a large mean
  for (std::size_t c = 0; c < channels; ++c)
    for (int b = 0; b < 256; ++b) {
      const auto n = static_cast<double>(count[c][static_cast<std::size_t>(b)]);
      const double d = value(c, b) - sum[c] / per_channel;
      squares[c] += n * d * d;
      overall += n * (value(c, b) - mean) * (value(c, b) - mean);
    }
  finish(s, sum, squares, per_channel, overall);
  return s;
}

}  // namespace tl::data
