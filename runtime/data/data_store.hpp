// DataStore: materialises an experiment's dataset nodes (loading IDX files
// once, listing image folders (decoded while used), applying filters, relabels, scales, takes and splits) and memoises
// them. It is the checker's DataSource (compiler/check/data_source.hpp): the
// checker fills it while checking, so sizes, label ranges and sample shapes
// are known before any training, and the run reuses it. Derived nodes are
// views sharing their file's pixels (see dataset.hpp), so memoising every
// node costs indices and labels, not images.
#pragma once

#include <map>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "compiler/check/data_source.hpp"
#include "compiler/check/experiment.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/dataset.hpp"

namespace tl::data {

class DataStore : public check::DataSource {
 public:
  using Ptr = std::shared_ptr<const Dataset>;
  /// `image_cache_bytes`: memory for the decoded images of each image
  /// folder (default: default_image_cache_bytes()).
  explicit DataStore(std::optional<std::size_t> image_cache_bytes = std::nullopt);
  /// Node `index` of `exp`, computing it (and its bases) on first use.
  /// Throws DataError for unreadable or malformed files.
  Ptr get(const check::Experiment& exp, int index);

  // check::DataSource
  std::optional<check::NamedFiles> locate(const std::string& name, const std::vector<std::string>& dirs) const override;
  std::vector<std::string> available(const std::vector<std::string>& dirs) const override;
  std::string describe_search(const std::string& name, const std::vector<std::string>& dirs) const override;
  check::DataFacts facts(const check::Experiment& exp, int index) override;
  check::ByteStats byte_stats(const check::Experiment& exp, int index) override;

 private:
  Ptr compute(const check::Experiment& exp, const check::DataNode& node);
  std::map<std::pair<std::string, std::string>, Ptr> files_;
  std::map<std::pair<std::string, std::string>, Ptr> arrays_;  // .npy samples, labels
  using ImageKey = std::tuple<std::string, int, int, int, bool>;  // folder, height, width, channels, skip_bad
  std::map<ImageKey, Ptr> folders_;
  std::map<std::tuple<std::string, std::string, char>, Ptr> tables_;  // file, label column, delimiter
  std::map<int, Ptr> nodes_;
  std::map<int, std::vector<Ptr>> splits_;
  std::map<int, check::DataFacts> facts_;
  std::size_t image_cache_bytes_;
};

/// A data error as the checker reports it: the file (and byte offset), the
/// message and the hint.
check::DataFileError to_check_error(const DataError& e);

}  // namespace tl::data
