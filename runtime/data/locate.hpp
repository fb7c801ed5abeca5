// Finding a named dataset ("mnist", "fashion-mnist") on disk: a directory
// <search dir>/<name>/ holding the four standard IDX files, raw or gzipped.
// The search order is fixed and reportable, so a failed lookup can tell the
// user exactly where it looked.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tl::data {

struct IdxPair {
  std::string images, labels;
};

struct NamedDataset {
  IdxPair train, test;
  std::string dir;  // the <search dir>/<name> directory the files are in
};

/// The standard file names (without ".gz") of a named dataset's directory.
inline constexpr const char* idx_file_names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/// The first search dir whose <dir>/<name>/ holds all four files, each either
/// raw or with ".gz" (raw preferred when both exist); nullopt if none does.
std::optional<NamedDataset> locate_named(const std::string& name, const std::vector<std::string>& search_dirs);

/// The search path for a script in `script_dir` (empty means "."), in order:
/// each non-empty entry of $TL_DATA_PATH (colon-separated), <script_dir>/data,
/// <script_dir>/../data, <script_dir>/../../data, <current dir>/data,
/// /usr/share/datasets.
/// The names of the complete datasets in `search_dirs` (each a folder holding
/// the four IDX files), in search order.
std::vector<std::string> available_named(const std::vector<std::string>& search_dirs);

std::vector<std::string> default_search_dirs(const std::string& script_dir);

/// A multi-line account of a failed lookup: one line per search dir saying
/// what was missing there, for the "dataset not found" diagnostic, e.g.
///   looked for mnist/ in:
///     /a/data: no directory mnist/
///     /b/data: mnist/ lacks t10k-labels-idx1-ubyte[.gz]
std::string describe_search(const std::string& name, const std::vector<std::string>& search_dirs);

}  // namespace tl::data
