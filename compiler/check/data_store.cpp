// Materialising dataset nodes (see data_store.hpp).
#include "compiler/check/data_store.hpp"

#include <algorithm>

namespace tl::check {

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
        it = files_.emplace(key, std::make_shared<data::Dataset>(data::load_idx_pair(node.images_path, node.labels_path)))
                 .first;
      return it->second;
    }
    case Kind::Where: {
      const Ptr base = get(exp, node.base);
      return std::make_shared<data::Dataset>(data::filter(*base, [&](int label) {
        return label >= 0 && label < 256 && node.keep[static_cast<std::size_t>(label)];
      }));
    }
    case Kind::Relabel: {
      const Ptr base = get(exp, node.base);
      std::map<int, int> mapping;
      for (int i = 0; i < 256; ++i)
        if (node.mapping[static_cast<std::size_t>(i)] != i) mapping[i] = node.mapping[static_cast<std::size_t>(i)];
      return std::make_shared<data::Dataset>(data::relabel(*base, mapping));
    }
    case Kind::Scale:
      return std::make_shared<data::Dataset>(data::scale_pixels(*get(exp, node.base), node.scale));
    case Kind::Normalize:
      return std::make_shared<data::Dataset>(data::normalize_pixels(*get(exp, node.base), node.mean, node.std));
    case Kind::Take: {
      const Ptr base = get(exp, node.base);
      const auto n = std::min<std::size_t>(base->size(), static_cast<std::size_t>(node.count));
      std::vector<std::size_t> first(n);
      for (std::size_t i = 0; i < n; ++i) first[i] = i;
      return std::make_shared<data::Dataset>(data::select(*base, first));
    }
    case Kind::SplitPart: {
      auto it = splits_.find(node.split);
      if (it == splits_.end()) {
        const SplitSpec& spec = exp.splits.at(static_cast<std::size_t>(node.split));
        std::vector<Ptr> parts;
        for (auto& part : data::split(*get(exp, spec.base), spec.fractions, spec.seed))
          parts.push_back(std::make_shared<data::Dataset>(std::move(part)));
        it = splits_.emplace(node.split, std::move(parts)).first;
      }
      return it->second.at(static_cast<std::size_t>(node.part));
    }
  }
  return nullptr;
}

}  // namespace tl::check
