// The batch pipeline: the order in which one epoch visits a dataset (a
// streaming shuffle buffer, as tf.data's `shuffle(buffer)`), how that order
// is cut into batches, and gathering a batch into float tensors (or, for a
// consumer that scales the pixels itself, into bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "runtime/data/dataset.hpp"

namespace tl::data {

/// The sample order of epoch `epoch` over n samples with a shuffle buffer of
/// `buffer` samples, exactly like tf.data's streaming shuffle:
///   1. fill the buffer with the first min(buffer, n) indices;
///   2. for draw d = 0, 1, ...: pick slot s = below(seed, stream_of("shuffle"),
///      hi = epoch, lo = d, buffer size), emit buffer[s], then refill slot s
///      with the next unread index, or, when none is left, move the last slot
///      into s and shrink the buffer.
/// buffer 0 or 1 is the identity order; buffer >= n is a full uniform shuffle.
/// Output position k always holds an index < k + buffer (the streaming
/// property). The result is a function of (n, buffer, seed, epoch) only.
std::vector<std::uint32_t> epoch_order(std::size_t n, std::size_t buffer, std::uint64_t seed, std::uint32_t epoch);

/// Number of batches per epoch: ceil(n / batch); the last partial batch is
/// kept (60000 / 64 -> 938). Throws std::invalid_argument for batch 0.
std::size_t batch_count(std::size_t n, std::size_t batch);

/// The indices of batch `b` (0-based) of `order` cut into batches of `batch`:
/// order[b * batch, min(n, (b + 1) * batch)).
std::span<const std::uint32_t> batch_indices(const std::vector<std::uint32_t>& order, std::size_t batch,
                                             std::size_t b);

/// dst[k] = float(src[k]) * scale + offset for k < n, with the map's floats
/// for channel k % channels (NHWC): how bytes become the values a model sees
/// (a multiply, then an add).
void map_bytes(const std::uint8_t* src, std::size_t n, const PixelMap& map, std::size_t channels, float* dst);

/// The same for float samples (NumPy float data): dst[k] = src[k] * scale +
/// offset, channel k % channels's floats.
void map_floats(const float* src, std::size_t n, const PixelMap& map, std::size_t channels, float* dst);

/// Copies samples `indices[0..count)` of a byte dataset to dst (count *
/// ds.sample_bytes() bytes), the pixel map not applied. ok[k] says whether
/// sample indices[k] was read: false only for a lazy store that skips bad
/// files (dst's bytes for it are then unspecified); a lazy store that does
/// not skip throws DataError naming the file. Throws std::out_of_range for an
/// index >= ds.size(), std::logic_error for a has_float_pixels() dataset.
void read_samples(const Dataset& ds, const std::uint32_t* indices, std::size_t count, std::uint8_t* dst, bool* ok);

/// Announces that samples `indices` will be read soon, so a lazy store can
/// decode them ahead on its own threads. Does nothing for a store in memory.
void prefetch(const Dataset& ds, std::span<const std::uint32_t> indices);

/// The samples of a batch this process reads (a data-parallel process: its
/// share), or empty for all of them.
using BatchRows = std::function<std::span<const std::uint32_t>(std::span<const std::uint32_t>)>;

/// prefetch() of batches b + 1 .. b + depth of `order` (those that exist),
/// each as `rows` selects.
void prefetch_batches(const Dataset& ds, const std::vector<std::uint32_t>& order, std::size_t batch, std::size_t b,
                      std::size_t depth = 2, const BatchRows& rows = {});

/// Copies samples `indices[0..count)` of `ds` into
///   images_out: (count, H, W, C) floats, NHWC: the pixel map applied,
///               float(pixel) * scale + offset, ds.pixels' floats (for a
///               has_float_pixels() dataset, its floats as they are);
///   labels_out: (count) floats, the labels.
/// Samples a lazy store skips (read_samples) are left out: the rest move up,
/// and the number gathered is returned (count, unless a file was skipped);
/// kept_out, when given, receives the indices gathered.
/// Throws std::out_of_range for an index >= ds.size().
std::size_t gather(const Dataset& ds, const std::uint32_t* indices, std::size_t count, float* images_out,
                   float* labels_out, std::uint32_t* kept_out = nullptr);

/// Like gather, but copies each sample's raw bytes, the pixel map not applied:
///   images_out: (count, H, W, C) bytes, NHWC (count * ds.sample_bytes());
///   labels_out: (count) floats, the labels.
/// For a consumer that applies ds.pixels itself (the JIT executor does it in
/// its first kernel). Requires a byte dataset: throws std::logic_error for a
/// has_float_pixels() one. Throws std::out_of_range for an index >= ds.size().
std::size_t gather_bytes(const Dataset& ds, const std::uint32_t* indices, std::size_t count, std::uint8_t* images_out,
                         float* labels_out, std::uint32_t* kept_out = nullptr);

}  // namespace tl::data
