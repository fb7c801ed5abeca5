// Running a checked experiment: model instances are initialised, then the
// steps run in script order (train, evaluate, summary), progress and results
// are printed, and DIR/results.json is rewritten after every step so that
// nothing finished is lost if a later step fails.
#pragma once

#include <cstdio>
#include <string>

#include "compiler/check/data_store.hpp"
#include "compiler/check/experiment.hpp"
#include "dsl/source.hpp"
#include "runtime/train/model_state.hpp"

namespace tl::train {

struct RunOptions {
  std::string out_dir;       // results.json goes here (created if missing)
  std::string backend = "reference";
  int threads = 1;
  std::FILE* out = stdout;   // progress and reports
  bool live = false;         // draw live progress bars
  bool continue_on_nan = false;  // tlc --on-nan=continue: overrides every train step
};

/// Throws DiagnosticError (pointing at the failing step) for a run-time
/// failure such as a diverging loss; results so far are already written.
/// Returns every model's final state (index = experiment model index).
std::vector<ModelState> run_experiment(const check::Experiment& exp, check::DataStore& store, const SourceFile& source,
                                       const RunOptions& options);

}  // namespace tl::train
