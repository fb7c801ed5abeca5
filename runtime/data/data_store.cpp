// Materialising dataset nodes (see data_store.hpp).
#include "runtime/data/data_store.hpp"

#include <algorithm>

#include "runtime/data/csv_table.hpp"
#include "runtime/data/folder_images.hpp"
#include "runtime/data/image_folder.hpp"
#include "runtime/data/locate.hpp"
#include "runtime/data/npy.hpp"
#include "runtime/data/pixel_stats.hpp"

namespace tl::data {

using check::DataNode;
using check::Experiment;
using check::SplitSpec;

DataStore::DataStore(std::optional<std::size_t> image_cache_bytes)
    : image_cache_bytes_(image_cache_bytes ? *image_cache_bytes : default_image_cache_bytes()) {}

DataStore::Ptr DataStore::get(const Experiment& exp, int index) {
  if (auto it = nodes_.find(index); it != nodes_.end()) return it->second;
  Ptr result = compute(exp, exp.data.at(static_cast<std::size_t>(index)));
  nodes_[index] = result;
  return result;
}

DataStore::Ptr DataStore::compute(const Experiment& exp, const DataNode& node) {
  using Kind = DataNode::Kind;
  switch (node.kind) {
    case Kind::Files: {
      const auto key = std::make_pair(node.images_path, node.labels_path);
      auto it = files_.find(key);
      if (it == files_.end())
        it = files_.emplace(key, std::make_shared<Dataset>(load_idx_pair(node.images_path, node.labels_path)))
                 .first;
      return it->second;
    }
    case Kind::Npy: {
      const auto key = std::make_pair(node.images_path, node.labels_path);
      auto it = arrays_.find(key);
      if (it == arrays_.end())
        it = arrays_.emplace(key, std::make_shared<Dataset>(make_dataset(read_npy_pair(node.images_path, node.labels_path))))
                 .first;
      return it->second;
    }
    case Kind::Csv: {
      const auto key = std::make_tuple(node.images_path, node.label_column, node.delimiter);
      auto it = tables_.find(key);
      if (it == tables_.end())
        it = tables_.emplace(key, std::make_shared<Dataset>(make_dataset(
                                      read_csv_table(node.images_path, node.label_column, node.delimiter))))
                 .first;
      return it->second;
    }
    case Kind::Images: {
      const ImageKey key{node.images_path, node.image_height, node.image_width, node.image_channels, node.skip_bad};
      auto it = folders_.find(key);
      if (it == folders_.end()) {
        FolderOptions options;
        options.height = node.image_height;
        options.width = node.image_width;
        options.channels = node.image_channels;
        options.skip_bad = node.skip_bad;
        // Headers only: the pixels are decoded while the data is used.
        it = folders_.emplace(key, std::make_shared<Dataset>(folder_dataset(list_folder(node.images_path, options),
                                                                            node.skip_bad, image_cache_bytes_)))
                 .first;
      }
      return it->second;
    }
    case Kind::Augment: {
      auto out = std::make_shared<Dataset>(*get(exp, node.base));
      auto specs = std::make_shared<std::vector<check::AugmentSpec>>();
      if (out->augment) *specs = *out->augment;
      specs->insert(specs->end(), node.augment.begin(), node.augment.end());
      out->augment = std::move(specs);
      return out;
    }
    case Kind::Where: {
      const Ptr base = get(exp, node.base);
      return std::make_shared<Dataset>(filter(*base, [&](int label) {
        return label >= 0 && label < 256 && node.keep[static_cast<std::size_t>(label)];
      }));
    }
    case Kind::Relabel: {
      const Ptr base = get(exp, node.base);
      std::map<int, int> mapping;
      for (int i = 0; i < 256; ++i)
        if (node.mapping[static_cast<std::size_t>(i)] != i) mapping[i] = node.mapping[static_cast<std::size_t>(i)];
      return std::make_shared<Dataset>(relabel(*base, mapping));
    }
    case Kind::Scale:
      return std::make_shared<Dataset>(scale_pixels(*get(exp, node.base), node.scale));
    case Kind::Normalize:
      return std::make_shared<Dataset>(normalize_pixels(*get(exp, node.base), node.mean, node.std));
    case Kind::Take: {
      const Ptr base = get(exp, node.base);
      const auto n = std::min<std::size_t>(base->size(), static_cast<std::size_t>(node.count));
      std::vector<std::size_t> first(n);
      for (std::size_t i = 0; i < n; ++i) first[i] = i;
      return std::make_shared<Dataset>(select(*base, first));
    }
    case Kind::SplitPart: {
      auto it = splits_.find(node.split);
      if (it == splits_.end()) {
        const SplitSpec& spec = exp.splits.at(static_cast<std::size_t>(node.split));
        std::vector<Ptr> parts;
        for (auto& part : split(*get(exp, spec.base), spec.fractions, spec.seed, spec.stratified))
          parts.push_back(std::make_shared<Dataset>(std::move(part)));
        it = splits_.emplace(node.split, std::move(parts)).first;
      }
      return it->second.at(static_cast<std::size_t>(node.part));
    }
  }
  return nullptr;
}

check::DataFileError to_check_error(const DataError& e) {
  std::string where = e.path();
  if (e.byte_offset()) where += ": byte " + std::to_string(*e.byte_offset());
  return check::DataFileError(where, e.message(), e.hint());
}

std::optional<check::NamedFiles> DataStore::locate(const std::string& name, const std::vector<std::string>& dirs) const {
  const auto found = locate_named(name, dirs);
  if (!found) return std::nullopt;
  return check::NamedFiles{found->train.images, found->train.labels, found->test.images, found->test.labels};
}

std::vector<std::string> DataStore::available(const std::vector<std::string>& dirs) const {
  return available_named(dirs);
}

std::string DataStore::describe_search(const std::string& name, const std::vector<std::string>& dirs) const {
  return data::describe_search(name, dirs);
}

check::DataFacts DataStore::facts(const Experiment& exp, int index) {
  if (auto it = facts_.find(index); it != facts_.end()) return it->second;
  Ptr ds;
  try {
    ds = get(exp, index);
  } catch (const DataError& e) {
    throw to_check_error(e);
  }
  check::DataFacts f;
  f.size = static_cast<std::int64_t>(ds->size());
  f.sample_shape = ds->sample_dims();
  if (!ds->labels.empty()) {
    const auto [lo, hi] = std::minmax_element(ds->labels.begin(), ds->labels.end());
    f.min_label = *lo;
    f.max_label = *hi;
  }
  f.pixels = ds->pixels;
  f.labelled = ds->labelled;
  f.bytes = !ds->has_float_pixels();
  if (ds->class_names) f.class_names = *ds->class_names;
  f.skipped = static_cast<std::int64_t>(ds->store->skipped.size());
  return facts_[index] = f;
}

check::ByteStats DataStore::byte_stats(const Experiment& exp, int index) {
  try {  // an image folder is decoded here: its files' errors are the checker's too
    Dataset bytes = *get(exp, index);
    bytes.pixels = {};  // the bytes themselves
    const PixelStats s = pixel_stats(bytes);
    return {s.mean, s.std, s.channel_mean, s.channel_std};
  } catch (const DataError& e) {
    throw to_check_error(e);
  }
}

}  // namespace tl::data
