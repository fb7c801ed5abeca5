// Dataset: labelled images held in memory as bytes (NHWC), and the
// transformations a .tl script applies to them (filter by label, relabel,
// scale, select, split). Transformations return new Datasets; pixels stay
// uint8 until batching, where `scale` is applied (pixel * scale as float).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tl::data {

struct Dataset {
  int height = 0, width = 0, channels = 0;
  std::vector<std::uint8_t> pixels;  // size() * height * width * channels bytes, NHWC
  std::vector<std::int32_t> labels;  // one per image
  float scale = 1.0f;                // applied when batching: value = pixel * scale
  /// Float images given by a host application (the embedding API): when not
  /// empty they are used as they are instead of pixels * scale. The dataset
  /// transformations below do not apply to such datasets.
  std::vector<float> float_pixels;

  std::size_t size() const { return labels.size(); }
  /// Bytes per image: height * width * channels.
  std::size_t sample_bytes() const { return std::size_t(height) * width * channels; }
};

/// Loads an images IDX file (3-d N,H,W -> channels 1; or 4-d N,H,W,C) and a
/// labels IDX file (1-d N), raw or gzipped. Throws DataError for any problem
/// in either file, and when the two counts differ (naming both files).
Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path);

/// The samples whose label satisfies `keep`, in their original order.
Dataset filter(const Dataset& ds, const std::function<bool(int)>& keep);

/// Labels found in `mapping` are replaced; all others are kept unchanged.
Dataset relabel(const Dataset& ds, const std::map<int, int>& mapping);

/// The same samples with a new pixel scale (e.g. 1/255).
Dataset with_scale(const Dataset& ds, float scale);

/// The samples at `indices`, in that order (repeats allowed).
/// Throws std::out_of_range for an index >= ds.size().
Dataset select(const Dataset& ds, const std::vector<std::size_t>& indices);

/// Splits `ds` into consecutive parts, one per fraction.
///
/// Sizes: with cum_i = fractions[0] + ... + fractions[i] and N = ds.size(),
/// part i holds the items [floor(cum_{i-1} * N), floor(cum_i * N)) (cum_{-1} =
/// 0). So 0.8, 0.2 of 41935 gives 33548 and 8387; fractions summing to 1 use
/// every item, and a smaller sum leaves the remainder out. Fractions are
/// decimals typed by a user, so a product within 1e-6 of an integer counts as
/// that integer (0.57 * 100 is 57, not 56.99999...), and a cumulative sum
/// within 1e-9 of 1 counts as 1.
///
/// Order: without a seed the parts take the items in dataset order. With a
/// seed, the items are first permuted by Fisher-Yates driven by Philox (stream
/// "split"; the draw for position i is below(seed, stream, 0, i, i + 1)), so
/// the result depends only on the seed and N.
///
/// Throws std::invalid_argument if a fraction is negative or not finite, or
/// the fractions sum to more than 1.
std::vector<Dataset> split(const Dataset& ds, const std::vector<double>& fractions,
                           std::optional<std::uint64_t> shuffle_seed);

/// The permutation of 0..n-1 that split() uses for `seed`.
std::vector<std::size_t> split_permutation(std::size_t n, std::uint64_t seed);

}  // namespace tl::data
