// Epoch order (streaming shuffle buffer), batching and gathering; see
// batches.hpp.
#include "runtime/data/batches.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "compiler/ir/philox.hpp"

namespace tl::data {

std::vector<std::uint32_t> epoch_order(std::size_t n, std::size_t buffer, std::uint64_t seed, std::uint32_t epoch) {
  if (n > UINT32_MAX) throw std::invalid_argument("epoch_order: more than 2^32 samples");
  std::vector<std::uint32_t> out(n);
  if (buffer <= 1) {
    // A one-slot buffer always emits what it just read: no shuffling.
    std::iota(out.begin(), out.end(), std::uint32_t{0});
    return out;
  }
  const std::uint64_t stream = rng::stream_of("shuffle");
  // 1. Fill the buffer with the first indices.
  std::vector<std::uint32_t> pool(std::min(buffer, n));
  std::iota(pool.begin(), pool.end(), std::uint32_t{0});
  std::uint32_t next = static_cast<std::uint32_t>(pool.size());
  // 2. Emit a uniform slot, then refill it from the input or shrink the pool.
  for (std::size_t draw = 0; draw < n; ++draw) {
    const auto slot = rng::below(seed, stream, epoch, static_cast<std::uint32_t>(draw), pool.size());
    out[draw] = pool[slot];
    if (next < n) {
      pool[slot] = next++;
    } else {
      pool[slot] = pool.back();
      pool.pop_back();
    }
  }
  return out;
}

std::size_t batch_count(std::size_t n, std::size_t batch) {
  if (batch == 0) throw std::invalid_argument("batch_count: batch size 0");
  return n / batch + (n % batch != 0);
}

std::span<const std::uint32_t> batch_indices(const std::vector<std::uint32_t>& order, std::size_t batch,
                                             std::size_t b) {
  const std::size_t begin = std::min(order.size(), b * batch);
  const std::size_t end = std::min(order.size(), begin + batch);
  return std::span<const std::uint32_t>(order.data() + begin, end - begin);
}

namespace {

void check_index(const char* who, std::size_t from, const Dataset& ds) {
  if (from >= ds.size())
    throw std::out_of_range(fmt::format("{}: index {} out of range for a dataset of {}", who, from, ds.size()));
}

}  // namespace

void map_bytes(const std::uint8_t* src, std::size_t n, const PixelMap& map, float* dst) {
  const float scale = map.float_scale(), offset = map.float_offset();  // locals: the loop vectorises
  for (std::size_t k = 0; k < n; ++k) dst[k] = static_cast<float>(src[k]) * scale + offset;
}

void gather(const Dataset& ds, const std::uint32_t* indices, std::size_t count, float* images_out,
            float* labels_out) {
  const std::size_t sample = ds.sample_bytes();
  const float scale = ds.pixels.float_scale(), offset = ds.pixels.float_offset();  // locals: the loop vectorises
  const bool floats = ds.has_float_pixels();
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t from = indices[i];
    check_index("gather", from, ds);
    float* dst = images_out + i * sample;
    if (floats) {  // the map applies to floats too (identity for a host's float data)
      const float* src = ds.float_sample(from);
      for (std::size_t k = 0; k < sample; ++k) dst[k] = src[k] * scale + offset;
    } else {
      map_bytes(ds.sample(from), sample, ds.pixels, dst);
    }
    labels_out[i] = static_cast<float>(ds.labels[from]);
  }
}

void gather_bytes(const Dataset& ds, const std::uint32_t* indices, std::size_t count, std::uint8_t* images_out,
                  float* labels_out) {
  if (ds.has_float_pixels()) throw std::logic_error("gather_bytes: the dataset holds float images, not bytes");
  const std::size_t sample = ds.sample_bytes();
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t from = indices[i];
    check_index("gather_bytes", from, ds);
    std::memcpy(images_out + i * sample, ds.sample(from), sample);
    labels_out[i] = static_cast<float>(ds.labels[from]);
  }
}

}  // namespace tl::data
