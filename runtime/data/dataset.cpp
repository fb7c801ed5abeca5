// Loading an images/labels IDX pair and the Dataset transformations; see
// dataset.hpp for the contracts.
#include "runtime/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/idx.hpp"
#include "compiler/ir/philox.hpp"

namespace tl::data {

Dataset make_dataset(ImagesAndLabels images) {
  if (images.is_float) {
    Dataset ds = make_float_dataset(images.height, images.width, images.channels, std::move(images.floats),
                                    std::move(images.labels));
    ds.flat = images.flat;
    ds.labelled = images.labelled;
    if (!images.class_names.empty())
      ds.class_names = std::make_shared<const std::vector<std::string>>(std::move(images.class_names));
    return ds;
  }
  Dataset ds;
  ds.flat = images.flat;
  ds.height = images.height;
  ds.width = images.width;
  ds.channels = images.channels;
  if (images.pixels.size() != images.labels.size() * ds.sample_bytes())
    throw std::invalid_argument(fmt::format("make_dataset: {} bytes are not {} images of {}x{}x{}", images.pixels.size(),
                                            images.labels.size(), ds.height, ds.width, ds.channels));
  if (!images.files.empty() && images.files.size() != images.labels.size())
    throw std::invalid_argument("make_dataset: one file name per image, or none");
  auto store = std::make_shared<PixelStore>();
  store->bytes = std::move(images.pixels);
  store->files = std::move(images.files);
  store->skipped = std::move(images.skipped);
  ds.store = std::move(store);
  ds.labels = std::move(images.labels);
  ds.labelled = images.labelled;
  if (!images.class_names.empty())
    ds.class_names = std::make_shared<const std::vector<std::string>>(std::move(images.class_names));
  return ds;
}

std::string Dataset::file_of(std::size_t i) const {
  return store && !store->files.empty() ? store->files[image_of(i)] : std::string();
}

std::vector<std::string> Dataset::class_list(std::size_t count) const {
  std::vector<std::string> names;
  if (class_names)
    for (std::size_t i = 0; i < count; ++i) names.push_back(class_name(static_cast<int>(i)));
  return names;
}

std::string Dataset::class_name(int label) const {
  return class_names ? check::class_name(*class_names, label) : std::to_string(label);
}

Dataset make_float_dataset(int height, int width, int channels, std::vector<float> pixels,
                           std::vector<std::int32_t> labels) {
  Dataset ds;
  ds.height = height;
  ds.width = width;
  ds.channels = channels;
  if (pixels.size() != labels.size() * ds.sample_bytes())
    throw std::invalid_argument(fmt::format("make_float_dataset: {} floats are not {} images of {}x{}x{}",
                                            pixels.size(), labels.size(), height, width, channels));
  auto store = std::make_shared<PixelStore>();
  store->floats = std::move(pixels);
  store->is_float = true;
  ds.store = std::move(store);
  ds.labels = std::move(labels);
  return ds;
}

ImagesAndLabels read_idx_pair(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path, {3, 4});
  IdxArray labels = read_idx(labels_path, 1);
  if (images.dims[0] != labels.dims[0])
    // Offset 4 is the count in the labels header, the number that disagrees.
    throw DataError(labels_path, 4,
                    fmt::format("this labels file has {} labels, but the images file {} has {} images",
                                labels.dims[0], images_path, images.dims[0]),
                    "the two files must come from the same dataset and split (train with train, t10k with t10k)");

  // read_idx caps the total at 2^31 bytes, so every dim fits in an int.
  ImagesAndLabels out;
  out.height = static_cast<int>(images.dims[1]);
  out.width = static_cast<int>(images.dims[2]);
  out.channels = images.dims.size() == 4 ? static_cast<int>(images.dims[3]) : 1;
  out.pixels = std::move(images.bytes);
  out.labels.assign(labels.bytes.begin(), labels.bytes.end());
  return out;
}

Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path) {
  return make_dataset(read_idx_pair(images_path, labels_path));
}

Dataset select(const Dataset& ds, const std::vector<std::size_t>& indices) {
  Dataset out;
  out.height = ds.height;
  out.width = ds.width;
  out.channels = ds.channels;
  out.pixels = ds.pixels;
  out.store = ds.store;
  out.class_names = ds.class_names;
  out.labelled = ds.labelled;
  out.flat = ds.flat;
  out.augment = ds.augment;
  auto index = std::make_shared<std::vector<std::uint32_t>>(indices.size());
  out.labels.resize(indices.size());
  bool identity = true;  // index[i] == i so far: a prefix of the store
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const std::size_t from = indices[i];
    if (from >= ds.size())
      throw std::out_of_range(fmt::format("select: index {} out of range for a dataset of {}", from, ds.size()));
    const std::size_t image = ds.image_of(from);
    if (image > UINT32_MAX)
      throw std::length_error(fmt::format("select: image {} is past the 2^32 images a view can index", image));
    (*index)[i] = static_cast<std::uint32_t>(image);
    identity = identity && image == i;
    out.labels[i] = ds.labels[from];
  }
  if (!identity) out.index = std::move(index);
  return out;
}

Dataset filter(const Dataset& ds, const std::function<bool(int)>& keep) {
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < ds.size(); ++i)
    if (keep(ds.labels[i])) kept.push_back(i);
  return select(ds, kept);
}

Dataset relabel(const Dataset& ds, const std::map<int, int>& mapping) {
  Dataset out = ds;  // shares the store and the index; copies the labels
  std::map<int, std::vector<int>> merged;  // new label -> the old labels present that map to it
  for (std::int32_t& label : out.labels) {
    const int old = label;
    if (const auto it = mapping.find(label); it != mapping.end()) label = it->second;
    auto& from = merged[label];
    if (std::find(from.begin(), from.end(), old) == from.end()) from.push_back(old);
  }
  if (ds.class_names) {
    auto names = std::make_shared<std::vector<std::string>>();
    for (auto& [label, olds] : merged) {
      if (label < 0) continue;
      std::sort(olds.begin(), olds.end());
      if (names->size() <= static_cast<std::size_t>(label)) names->resize(static_cast<std::size_t>(label) + 1);
      std::string name;
      for (int old : olds) name += (name.empty() ? "" : "+") + ds.class_name(old);
      (*names)[static_cast<std::size_t>(label)] = name;
    }
    out.class_names = std::move(names);
  }
  return out;
}

Dataset scale_pixels(const Dataset& ds, double factor) {
  Dataset out = ds;  // shares the store and the index; copies the labels
  out.pixels = ds.pixels.scaled(factor);
  return out;
}

Dataset normalize_pixels(const Dataset& ds, double mean, double std) {
  return normalize_pixels(ds, std::vector<double>{mean}, std::vector<double>{std});
}

Dataset normalize_pixels(const Dataset& ds, const std::vector<double>& mean, const std::vector<double>& std) {
  const auto channels = static_cast<std::size_t>(ds.channels);
  auto fits = [&](const std::vector<double>& v) { return v.size() == 1 || v.size() == channels; };
  if (!fits(mean) || !fits(std))
    throw std::invalid_argument(fmt::format("normalize_pixels: {} means and {} stds for {} channels", mean.size(),
                                            std.size(), channels));
  for (std::size_t i = 0; i < std::max(mean.size(), std.size()); ++i) {
    const double m = mean[std::min(i, mean.size() - 1)], s = std[std::min(i, std.size() - 1)];
    if (!(s > 0) || !std::isfinite(s) || !std::isfinite(m))
      throw std::invalid_argument(fmt::format("normalize_pixels: std must be positive and finite and mean finite, "
                                              "not mean {} std {}", m, s));
  }
  Dataset out = ds;  // shares the store and the index; copies the labels
  out.pixels = ds.pixels.normalized(mean, std, channels);
  return out;
}

namespace {

/// Part boundaries of n items: [0, floor(cum_0 n), floor(cum_1 n), ...] (see split()).
std::vector<std::size_t> split_bounds(std::size_t n, const std::vector<double>& fractions) {
  std::vector<std::size_t> bounds{0};
  double cum = 0.0;
  for (double f : fractions) {
    if (!std::isfinite(f) || f < 0.0)
      throw std::invalid_argument(fmt::format("split: fraction {} is not a number in [0, 1]", f));
    cum += f;
    if (cum > 1.0 + 1e-9)
      throw std::invalid_argument(fmt::format("split: fractions {} sum to more than 1", fmt::join(fractions, ", ")));
    const double exact = std::abs(cum - 1.0) <= 1e-9 ? double(n) : cum * double(n);
    const auto end = static_cast<std::size_t>(std::floor(exact + 1e-6));
    bounds.push_back(std::min(end, n));
  }
  return bounds;
}

}  // namespace

std::vector<std::size_t> split_permutation(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const std::uint64_t stream = rng::stream_of("split");
  // Fisher-Yates from the back: position i swaps with a uniform j in [0, i].
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t pos = i - 1;
    const auto j = rng::below(seed, stream, 0, static_cast<std::uint32_t>(pos), pos + 1);
    std::swap(order[pos], order[j]);
  }
  return order;
}

std::vector<Dataset> split(const Dataset& ds, const std::vector<double>& fractions,
                           std::optional<std::uint64_t> shuffle_seed, bool stratified) {
  // 1. The item order.
  const std::size_t n = ds.size();
  std::vector<std::size_t> order;
  if (shuffle_seed) {
    order = split_permutation(n, *shuffle_seed);
  } else {
    order.resize(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
  }
  // 2. Cut the order (or each label's items in it) by the fractions.
  std::vector<std::vector<std::size_t>> parts(fractions.size());
  auto cut = [&](const std::vector<std::size_t>& items) {
    const std::vector<std::size_t> bounds = split_bounds(items.size(), fractions);
    for (std::size_t i = 0; i + 1 < bounds.size(); ++i)
      parts[i].insert(parts[i].end(), items.begin() + static_cast<std::ptrdiff_t>(bounds[i]),
                      items.begin() + static_cast<std::ptrdiff_t>(bounds[i + 1]));
  };
  if (!stratified) {
    cut(order);
  } else {
    std::map<std::int32_t, std::vector<std::size_t>> by_label;  // positions in `order`
    for (std::size_t pos = 0; pos < n; ++pos) by_label[ds.labels[order[pos]]].push_back(pos);
    for (const auto& [label, positions] : by_label) cut(positions);
    for (auto& part : parts) {  // back to items, in the order's sequence
      std::sort(part.begin(), part.end());
      for (std::size_t& pos : part) pos = order[pos];
    }
  }
  std::vector<Dataset> out;
  for (const auto& part : parts) out.push_back(select(ds, part));
  return out;
}

}  // namespace tl::data
