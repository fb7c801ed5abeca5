// Dataset: labelled images as bytes (NHWC; in memory, or decoded while they
// are used: image folders), and the
// transformations a .tl script applies to them (filter by label, relabel,
// scale, normalize, select, split). Pixels stay uint8 until batching, where
// the view's pixel map is applied: value = float(pixel) * scale + offset.
//
// Storage: the images are loaded once (or listed, to be decoded on demand)
// into an immutable PixelStore that every
// Dataset derived from them shares. A Dataset is a view of it: which store
// image each of its samples is (an index), the samples' labels, the pixel map
// and the image dims. Transformations return new views and never copy pixels:
// select, filter and split build a new index, relabel new labels,
// scale_pixels and normalize_pixels only the pixel map. A chain of stages
// costs at most an index and labels (8 bytes per sample) per stage, however
// large the images.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/check/experiment.hpp"
#include "compiler/check/pixel_map.hpp"
#include "runtime/data/lazy_images.hpp"

namespace tl::data {

/// Images, NHWC, never changed once built: bytes (scaled when batched),
/// floats given by a host application through the embedding API (used as
/// they are), or images decoded while they are used (`lazy`: an image
/// folder). Exactly one of the three is used.
struct PixelStore {
  std::vector<std::uint8_t> bytes;
  std::vector<float> floats;
  bool is_float = false;
  /// Decodes the images on demand; null for a store held in memory.
  std::shared_ptr<LazyImages> lazy;
  /// The file each image was read from (image folders); empty otherwise.
  std::vector<std::string> files;
  /// Files of the source that were skipped (`on_error = skip`), and why.
  std::vector<std::pair<std::string, std::string>> skipped;
  /// `skipped`, and for a lazy store also the files skipped since, while
  /// decoding.
  std::vector<std::pair<std::string, std::string>> skipped_files() const {
    return lazy ? lazy->skipped() : skipped;
  }
};

/// How a byte becomes the float a model sees (compiler/check/pixel_map.hpp).
using PixelMap = check::PixelMap;

struct Dataset {
  int height = 0, width = 0, channels = 0;
  /// The images this view selects from, shared with every view derived from
  /// the same load. Null only for an empty default Dataset.
  std::shared_ptr<const PixelStore> store;
  /// Sample i is store image (*index)[i]. Null for the identity view: sample i
  /// is store image i (a prefix of the store, since size() may be smaller).
  /// Shared between views that differ only in labels or pixel map.
  std::shared_ptr<const std::vector<std::uint32_t>> index;
  std::vector<std::int32_t> labels;  // one per sample of this view
  /// The pixel map, applied when batching a byte store.
  PixelMap pixels;
  /// The name of each label (subfolder names, a CSV's string labels), kept
  /// through filters and splits and rebuilt by relabel; null when the source
  /// has none (IDX files). A label past its end, or with an empty name, is
  /// known by its number.
  std::shared_ptr<const std::vector<std::string>> class_names;
  /// False for a source without labels (a folder of images to predict):
  /// every label is then -1.
  bool labelled = true;
  /// True when samples are vectors (a table's rows, an (N, F) array): then
  /// height = width = 1 and channels is the vector's length.
  bool flat = false;
  /// Augmentations applied to this data's samples while training
  /// (runtime/data/augment.hpp); null for none. Kept by every later view.
  std::shared_ptr<const std::vector<check::AugmentSpec>> augment;
  /// The shape of one sample as a model's input sees it: (H, W, C), or (F).
  std::vector<std::int64_t> sample_dims() const {
    if (flat) return {channels};
    return {height, width, channels};
  }

  std::size_t size() const { return labels.size(); }
  /// Values per image: height * width * channels (bytes for a byte store).
  std::size_t sample_bytes() const { return std::size_t(height) * width * channels; }
  /// True when the images are host floats (the embedding API), not bytes.
  bool has_float_pixels() const { return store && store->is_float; }
  /// True when the images are decoded on demand (read them with
  /// read_samples in batches.hpp; sample() does not apply).
  bool is_lazy() const { return store && store->lazy; }
  /// The store image of sample i (< size(), unchecked).
  std::size_t image_of(std::size_t i) const { return index ? (*index)[i] : i; }
  /// Sample i's sample_bytes() bytes. Requires a byte store in memory (not
  /// is_lazy()) and i < size()
  /// (unchecked: callers such as gather check their indices once).
  const std::uint8_t* sample(std::size_t i) const { return store->bytes.data() + image_of(i) * sample_bytes(); }
  /// Sample i's sample_bytes() floats. Requires has_float_pixels() and i < size().
  const float* float_sample(std::size_t i) const { return store->floats.data() + image_of(i) * sample_bytes(); }
  /// The file sample i was read from, or "" when the source is not a folder.
  std::string file_of(std::size_t i) const;
  /// The name of `label`: its class name, or its number when it has none.
  std::string class_name(int label) const;
  /// class_name(0 .. count-1) when the dataset has class names; else empty.
  std::vector<std::string> class_list(std::size_t count) const;
};

/// Images and labels as read from files or given by a caller, before they
/// become a Dataset: pixels.size() == labels.size() * height * width * channels.
struct ImagesAndLabels {
  int height = 0, width = 0, channels = 0;
  std::vector<std::uint8_t> pixels;  // NHWC
  std::vector<std::int32_t> labels;
  bool is_float = false;             // the samples are `floats` (NumPy float32), not `pixels`
  std::vector<float> floats;
  bool flat = false;                 // samples are vectors of `channels` values (height = width = 1)
  std::vector<std::string> class_names;  // label -> name; empty when the source has none
  bool labelled = true;                  // false: every label is -1
  std::vector<std::string> files;        // per image, for sources that are files
  std::vector<std::pair<std::string, std::string>> skipped;  // file, why
};

/// The identity view over a new store holding `images.pixels` (moved, not
/// copied), scale 1. Throws std::invalid_argument if the sizes disagree.
Dataset make_dataset(ImagesAndLabels images);

/// The same for host float images (has_float_pixels()): `pixels` holds
/// labels.size() * height * width * channels floats, used as they are. The
/// dataset transformations below do not apply to such datasets.
Dataset make_float_dataset(int height, int width, int channels, std::vector<float> pixels,
                           std::vector<std::int32_t> labels);

/// Reads an images IDX file (3-d N,H,W -> channels 1; or 4-d N,H,W,C) and a
/// labels IDX file (1-d N), raw or gzipped. Throws DataError for any problem
/// in either file, and when the two counts differ (naming both files).
ImagesAndLabels read_idx_pair(const std::string& images_path, const std::string& labels_path);

/// make_dataset(read_idx_pair(images_path, labels_path)).
Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path);

/// The samples whose label satisfies `keep`, in their original order.
Dataset filter(const Dataset& ds, const std::function<bool(int)>& keep);

/// Labels found in `mapping` are replaced; all others are kept unchanged.
/// Shares the store and the index with `ds`. Class names follow the labels:
/// a new label is named after the old labels present in `ds` that map to
/// it, joined by "+" when several merge.
Dataset relabel(const Dataset& ds, const std::map<int, int>& mapping);

/// The same samples with every pixel value multiplied by `factor` (e.g.
/// 1/255): the pixel map becomes scale * factor, offset * factor (in double).
/// Shares the store and the index with `ds`.
Dataset scale_pixels(const Dataset& ds, double factor);

/// The same samples with every pixel value v replaced by (v - mean) / std
/// (std > 0, both finite; std::invalid_argument otherwise): the pixel map
/// becomes scale / std, (offset - mean) / std (in double). Shares the store
/// and the index.
Dataset normalize_pixels(const Dataset& ds, double mean, double std);

/// Per channel (ImageNet-style): channel c's values v become (v - mean[c]) /
/// std[c]. mean and std each hold one value (for every channel) or one per
/// channel of an image dataset; std::invalid_argument otherwise, or for a
/// std that is not positive and finite or a mean that is not finite. The
/// pixel map becomes per channel (PixelMap::normalized).
Dataset normalize_pixels(const Dataset& ds, const std::vector<double>& mean, const std::vector<double>& std);

/// The samples at `indices`, in that order (repeats allowed), as a view of
/// ds's store: the new index is composed (view index -> store image), and is
/// left null when it is the identity on a prefix of the store (e.g. take N).
/// Throws std::out_of_range for an index >= ds.size().
Dataset select(const Dataset& ds, const std::vector<std::size_t>& indices);

/// Splits `ds` into consecutive parts, one per fraction; each part is a
/// select() of `ds`, so all parts share its store.
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
/// Stratified: the sizes rule above applies to each label on its own (its
/// items taken in the order above), so every part holds each label's share
/// (up to the floor); each part keeps the order above.
///
/// Throws std::invalid_argument if a fraction is negative or not finite, or
/// the fractions sum to more than 1.
std::vector<Dataset> split(const Dataset& ds, const std::vector<double>& fractions,
                           std::optional<std::uint64_t> shuffle_seed, bool stratified = false);

/// The permutation of 0..n-1 that split() uses for `seed`.
std::vector<std::size_t> split_permutation(std::size_t n, std::uint64_t seed);

}  // namespace tl::data
