// The checker: AST -> Experiment. Resolves every name, instantiates models
// (inferring all shapes), validates every hyper-parameter, loads and derives
// every dataset (so file problems, empty splits and label ranges surface
// before any training) and checks each train/evaluate step's model against
// its data. Reports every independent error it finds (up to 50, then it
// stops), each as `file:line:col: error: ...` with the line and a caret.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/check/data_source.hpp"
#include "compiler/check/experiment.hpp"
#include "dsl/ast.hpp"
#include "dsl/source.hpp"

namespace tl::check {

struct CheckOptions {
  /// Reads a model file's description for `net = load("file")`; throws
  /// DataFileError for a bad file. Unset: load() is an error.
  std::function<ModelSpec(const std::string& path)> load_model;
  /// Reads an ONNX file's graph as a model for `net = onnx("file.onnx")`;
  /// throws DataFileError for a file tl can't import. Unset: onnx() is an error.
  std::function<ModelSpec(const std::string& path)> import_onnx;
  std::optional<std::uint64_t> seed;  // overrides the script's `seed` statement
  std::vector<std::string> data_dirs; // where named datasets are looked for
};

/// Throws DiagnosticError carrying every diagnostic found.
/// Data files are read through `data` (the runtime's data::DataStore).
Experiment check(const ast::Program& program, const SourceFile& source, DataSource& data, const CheckOptions& options);

}  // namespace tl::check
