// The front door: a script parsed, checked (its data files read through the
// data layer, its model files through runtime/io) and ready to run, with the
// run defaults that `tlc` and the C++ API (include/tl/tl.hpp) share. Both call
// these and nothing else to turn a script into an experiment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/check/experiment.hpp"
#include "dsl/ast.hpp"
#include "dsl/source.hpp"
#include "runtime/data/data_store.hpp"

namespace tl::run {

struct FrontOptions {
  std::optional<std::uint64_t> seed;   ///< overrides the script's `seed` statement
  std::vector<std::string> data_dirs;  ///< where idx("name") looks; empty: data::default_search_dirs
  /// Memory for each image folder's decoded images; none: data::default_image_cache_bytes().
  std::optional<std::size_t> image_cache_bytes;
};

/// A checked script with the data its experiment reads.
struct Script {
  SourceFile source;
  ast::Program program;
  std::unique_ptr<data::DataStore> data;  ///< every dataset node, as the checker materialised it
  check::Experiment experiment;
};

/// Parses and checks `source`: every name, shape and hyper-parameter, every
/// data file (named datasets are found in options.data_dirs) and every model
/// file a `load()` names. Throws DiagnosticError carrying every diagnostic.
Script open_script(SourceFile source, const FrontOptions& options = {});

/// The executor a run uses unless told otherwise: the JIT.
inline constexpr const char* default_backend = "jit";

/// Threads for `backend`: the reference interpreter runs on one; the JIT on
/// `requested`, or on every core when `requested` is 0.
int threads_for(const std::string& backend, int requested);

}  // namespace tl::run
