// DataStore: materialises the experiment's dataset nodes (loading IDX files
// once, applying filters, relabels, scales, takes and splits) and memoises
// them. The checker fills it while checking, so that sizes, label ranges and
// sample shapes are known before any training, and the runtime reuses it.
// Derived nodes are views sharing their file's pixels (see dataset.hpp), so
// memoising every node costs indices and labels, not images.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/check/experiment.hpp"
#include "runtime/data/dataset.hpp"

namespace tl::check {

class DataStore {
 public:
  using Ptr = std::shared_ptr<const data::Dataset>;
  /// Node `index` of `exp`, computing it (and its bases) on first use.
  /// Throws data::DataError for unreadable or malformed files.
  Ptr get(const Experiment& exp, int index);

 private:
  Ptr compute(const Experiment& exp, const DataNode& node);
  std::map<std::pair<std::string, std::string>, Ptr> files_;
  std::map<int, Ptr> nodes_;
  std::map<int, std::vector<Ptr>> splits_;
};

}  // namespace tl::check
