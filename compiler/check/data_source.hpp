// The checker's one interface to data files: how it finds a named dataset and
// what it learns of each dataset node (size, sample shape, label range, pixel
// map, byte statistics). The runtime implements it (runtime/data/data_store),
// so the compiler never reads a file: it states what it needs here.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/check/experiment.hpp"
#include "compiler/check/pixel_map.hpp"

namespace tl::check {

/// What the checker knows of one dataset node once its files are read.
struct DataFacts {
  std::int64_t size = 0;
  ir::Shape sample_shape;                      ///< (H, W, C)
  std::int64_t min_label = 0, max_label = -1;  ///< over the samples (max < min when empty)
  PixelMap pixels;                             ///< the node's pixel map, composed in double
  bool labelled = true;                   ///< false: a folder of images without classes
  std::vector<std::string> class_names;   ///< label -> name; empty when the source has none
  std::int64_t skipped = 0;               ///< files of the source skipped (on_error = skip)
  bool bytes = true;                      ///< samples are bytes (images), not floats (NumPy, CSV)
};

/// Mean and population standard deviation of a node's raw pixel bytes,
/// over all channels and per channel.
struct ByteStats {
  double mean = 0.0, std = 0.0;
  std::vector<double> channel_mean, channel_std;
};

/// The four IDX files of a named dataset (`idx("mnist")`).
struct NamedFiles {
  std::string train_images, train_labels, test_images, test_labels;
};

/// A data or model file the checker needed could not be used.
class DataFileError : public std::runtime_error {
 public:
  /// `where`: the file, and the byte offset when there is one ("f.idx: byte 16").
  DataFileError(std::string where, std::string message, std::string hint = {});
  const std::string& where() const { return where_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }

 private:
  std::string where_, message_, hint_;
};

class DataSource {
 public:
  virtual ~DataSource() = default;
  /// The files of dataset `name` in the first of `dirs` that has them.
  virtual std::optional<NamedFiles> locate(const std::string& name, const std::vector<std::string>& dirs) const = 0;
  /// The named datasets `dirs` hold (for "did you mean").
  virtual std::vector<std::string> available(const std::vector<std::string>& dirs) const = 0;
  /// Where `name` was looked for and what was missing, for the error message.
  virtual std::string describe_search(const std::string& name, const std::vector<std::string>& dirs) const = 0;
  /// Facts of node `index` of `exp` (whose nodes up to `index` are complete),
  /// reading files as needed. Throws DataFileError.
  virtual DataFacts facts(const Experiment& exp, int index) = 0;
  /// Statistics of node `index`'s pixel bytes, before any pixel map.
  /// Throws DataFileError.
  virtual ByteStats byte_stats(const Experiment& exp, int index) = 0;
};

}  // namespace tl::check
