// Running a checked experiment: model instances are initialised, then the
// steps run in script order (train, evaluate, summary, derive, compare, load),
// progress and results are printed, and DIR/results.json is rewritten after
// every step so that nothing finished is lost if a later step fails. A
// checkpoint (runtime/run/checkpoint.hpp) is saved after every epoch and
// step; `resume` continues from it.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "compiler/check/experiment.hpp"
#include "dsl/source.hpp"
#include "runtime/data/data_store.hpp"
#include "runtime/dist/communicator.hpp"
#include "runtime/train/model_state.hpp"

namespace tl::run {

struct RunOptions {
  std::string out_dir;       // results.json goes here (created if missing)
  std::string shown_out_dir; // the folder messages name, when not out_dir (a data-parallel process
                             // other than rank 0 writes a scratch copy of rank 0's folder)
  std::string backend = "reference";
  int threads = 1;
  std::FILE* out = stdout;   // progress and reports
  bool live = false;         // draw live progress bars
  bool continue_on_nan = false;  // tlc --on-nan=continue: overrides every train step
  bool resume = false;           // continue from out_dir/checkpoint
  bool export_onnx = false;      // tlc run --onnx: each trained model also as NAME.onnx
  std::string script_text;       // identifies the checkpoint's script (with the seed)
  /// Polled after every training step; true stops the run after that step
  /// (the last checkpoint is kept) with train::Interrupted.
  std::function<bool()> should_stop;
  /// A data-parallel run's processes (docs/scale-out.md): every train step
  /// and evaluation is shared among them. Null: this process alone.
  const dist::Communicator* comm = nullptr;
};

/// Throws DiagnosticError (pointing at the failing step) for a run-time
/// failure such as a diverging loss; results so far are already written.
/// Returns every model's final state (index = experiment model index).
std::vector<train::ModelState> run_experiment(const check::Experiment& exp, data::DataStore& store, const SourceFile& source,
                                       const RunOptions& options);

}  // namespace tl::run
