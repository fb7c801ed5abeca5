// Epoch order (streaming shuffle buffer), batching and gathering; see
// batches.hpp.
#include "runtime/data/batches.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
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

void map_floats(const float* src, std::size_t n, const PixelMap& map, std::size_t channels, float* dst) {
  if (!map.per_channel()) {
    const float scale = map.float_scale(), offset = map.float_offset();  // locals: the loop vectorises
    for (std::size_t k = 0; k < n; ++k) dst[k] = src[k] * scale + offset;
    return;
  }
  for (std::size_t k = 0; k < n; ++k) dst[k] = src[k] * map.float_scale(k % channels) + map.float_offset(k % channels);
}

void map_bytes(const std::uint8_t* src, std::size_t n, const PixelMap& map, std::size_t channels, float* dst) {
  if (!map.per_channel()) {
    const float scale = map.float_scale(), offset = map.float_offset();  // locals: the loop vectorises
    for (std::size_t k = 0; k < n; ++k) dst[k] = static_cast<float>(src[k]) * scale + offset;
    return;
  }
  // Per channel: a table of the 256 values of each channel (NHWC: channel k % channels).
  std::vector<float> table(256 * channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const float scale = map.float_scale(c), offset = map.float_offset(c);
    for (int b = 0; b < 256; ++b) table[c * 256 + static_cast<std::size_t>(b)] = static_cast<float>(b) * scale + offset;
  }
  for (std::size_t k = 0, c = 0; k < n; ++k) {
    dst[k] = table[c * 256 + src[k]];
    if (++c == channels) c = 0;
  }
}

void read_samples(const Dataset& ds, const std::uint32_t* indices, std::size_t count, std::uint8_t* dst, bool* ok) {
  if (ds.has_float_pixels()) throw std::logic_error("read_samples: the dataset holds float images, not bytes");
  const std::size_t sample = ds.sample_bytes();
  for (std::size_t i = 0; i < count; ++i) check_index("read_samples", indices[i], ds);
  if (!ds.is_lazy()) {
    for (std::size_t i = 0; i < count; ++i) {
      std::memcpy(dst + i * sample, ds.sample(indices[i]), sample);
      ok[i] = true;
    }
    return;
  }
  std::vector<std::uint32_t> images(count);
  for (std::size_t i = 0; i < count; ++i) images[i] = static_cast<std::uint32_t>(ds.image_of(indices[i]));
  ds.store->lazy->read(images.data(), count, dst, ok);
}

void prefetch(const Dataset& ds, std::span<const std::uint32_t> indices) {
  if (!ds.is_lazy() || indices.empty()) return;
  std::vector<std::uint32_t> images;
  images.reserve(indices.size());
  for (const std::uint32_t i : indices)
    if (i < ds.size()) images.push_back(static_cast<std::uint32_t>(ds.image_of(i)));
  ds.store->lazy->prefetch(images.data(), images.size());
}

void prefetch_batches(const Dataset& ds, const std::vector<std::uint32_t>& order, std::size_t batch, std::size_t b,
                      std::size_t depth, const BatchRows& rows) {
  if (!ds.is_lazy()) return;
  for (std::size_t ahead = 1; ahead <= depth; ++ahead) {
    const std::span<const std::uint32_t> all = batch_indices(order, batch, b + ahead);
    prefetch(ds, rows ? rows(all) : all);
  }
}

namespace {

/// Moves the samples read (ok) to the front of images (sample bytes or
/// floats each) and of labels, writing their indices to kept_out; returns
/// how many there are.
template <class T>
std::size_t compact(const bool* ok, const std::uint32_t* indices, std::size_t count, std::size_t sample, T* images,
                    float* labels, std::uint32_t* kept_out) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (!ok[i]) continue;
    if (kept != i) {
      std::memmove(images + kept * sample, images + i * sample, sample * sizeof(T));
      labels[kept] = labels[i];
    }
    if (kept_out) kept_out[kept] = indices[i];
    ++kept;
  }
  return kept;
}

}  // namespace

std::size_t gather(const Dataset& ds, const std::uint32_t* indices, std::size_t count, float* images_out,
                   float* labels_out, std::uint32_t* kept_out) {
  const std::size_t sample = ds.sample_bytes();
  std::unique_ptr<bool[]> ok(new bool[count]);
  if (ds.is_lazy()) {  // bytes first, then mapped
    std::vector<std::uint8_t> bytes(count * sample);
    read_samples(ds, indices, count, bytes.data(), ok.get());
    map_bytes(bytes.data(), bytes.size(), ds.pixels, static_cast<std::size_t>(ds.channels), images_out);
    for (std::size_t i = 0; i < count; ++i) labels_out[i] = static_cast<float>(ds.labels[indices[i]]);
    return compact(ok.get(), indices, count, sample, images_out, labels_out, kept_out);
  }
  const auto channels = static_cast<std::size_t>(ds.channels);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t from = indices[i];
    check_index("gather", from, ds);
    float* dst = images_out + i * sample;
    if (ds.has_float_pixels()) {  // the map applies to floats too (identity for a host's float data)
      map_floats(ds.float_sample(from), sample, ds.pixels, channels, dst);
    } else {
      map_bytes(ds.sample(from), sample, ds.pixels, static_cast<std::size_t>(ds.channels), dst);
    }
    labels_out[i] = static_cast<float>(ds.labels[from]);
    ok[i] = true;
  }
  return compact(ok.get(), indices, count, sample, images_out, labels_out, kept_out);
}

std::size_t gather_bytes(const Dataset& ds, const std::uint32_t* indices, std::size_t count, std::uint8_t* images_out,
                         float* labels_out, std::uint32_t* kept_out) {
  if (ds.has_float_pixels()) throw std::logic_error("gather_bytes: the dataset holds float images, not bytes");
  std::unique_ptr<bool[]> ok(new bool[count]);
  read_samples(ds, indices, count, images_out, ok.get());
  for (std::size_t i = 0; i < count; ++i) labels_out[i] = static_cast<float>(ds.labels[indices[i]]);
  return compact(ok.get(), indices, count, ds.sample_bytes(), images_out, labels_out, kept_out);
}

}  // namespace tl::data
