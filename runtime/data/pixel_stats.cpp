// Pixel statistics from a byte histogram: one pass over the samples' bytes,
// then the mean and variance of the 256 mapped values weighted by count. An
// image folder is read in chunks, every image once.
#include "runtime/data/pixel_stats.hpp"

#include <array>
#include <cmath>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "runtime/data/batches.hpp"

namespace tl::data {

namespace {

/// Float samples (NumPy float data): two passes in double over the mapped values.
PixelStats float_stats(const Dataset& ds) {
  PixelStats s;
  const std::size_t sample = ds.sample_bytes();
  s.values = static_cast<std::uint64_t>(ds.size()) * sample;
  if (s.values == 0) return s;
  const float scale = ds.pixels.float_scale(), offset = ds.pixels.float_offset();
  double sum = 0;
  for (std::size_t i = 0; i < ds.size(); ++i)
    for (std::size_t k = 0; k < sample; ++k) sum += static_cast<double>(ds.float_sample(i)[k] * scale + offset);
  s.mean = sum / static_cast<double>(s.values);
  double squares = 0;
  for (std::size_t i = 0; i < ds.size(); ++i)
    for (std::size_t k = 0; k < sample; ++k) {
      const double d = static_cast<double>(ds.float_sample(i)[k] * scale + offset) - s.mean;
      squares += d * d;
    }
  s.std = std::sqrt(squares / static_cast<double>(s.values));
  return s;
}

}  // namespace

PixelStats pixel_stats(const Dataset& ds) {
  if (ds.has_float_pixels()) return float_stats(ds);
  std::array<std::uint64_t, 256> count{};
  const std::size_t sample = ds.sample_bytes();
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
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!ok[i]) continue;  // a bad file skipped: not counted
        ++samples;
        for (std::size_t k = 0; k < sample; ++k) ++count[bytes[i * sample + k]];
      }
    }
  } else {
    for (std::size_t i = 0; i < ds.size(); ++i) {
      const std::uint8_t* p = ds.sample(i);
      for (std::size_t k = 0; k < sample; ++k) ++count[p[k]];
    }
    samples = ds.size();
  }
  PixelStats s;
  s.values = samples * sample;
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
