// The training loop and evaluation: batches from the data pipeline, one
// step graph per (step kind, batch size) run by the executor, and the
// per-epoch statistics Keras reports (sample-weighted mean loss, accuracy).
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "compiler/check/experiment.hpp"
#include "compiler/lower/step_graph.hpp"
#include "runtime/data/dataset.hpp"
#include "runtime/dist/communicator.hpp"
#include "runtime/exec/executor.hpp"
#include "runtime/train/best_epoch.hpp"
#include "runtime/train/model_state.hpp"
#include "runtime/train/predict.hpp"

namespace tl::train {

struct EpochStats {
  int epoch = 0;  // 1-based
  double loss = 0, accuracy = 0, seconds = 0;
  std::int64_t steps = 0, samples = 0;
  std::optional<double> val_loss, val_accuracy;
  double lr_scale = 1.0;  // the schedule's factor at the epoch's first update
  double compile_seconds = 0;  // of `seconds`, compiling steps (the first epoch's, mostly)
};

struct EvalStats {
  double loss = 0, accuracy = 0, seconds = 0;
  std::int64_t samples = 0;
};

/// Receives progress; the console reporter draws Keras-style lines from it.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void epoch_begin(int epoch, int epochs, std::int64_t steps) = 0;
  /// After each step: steps done, running loss and accuracy of the epoch.
  virtual void step(std::int64_t done, double loss, double accuracy) = 0;
  virtual void epoch_end(const EpochStats& stats) = 0;
  /// Something the user should know that does not stop the run.
  virtual void warning(const std::string& message) { (void)message; }
  /// A line of news between epochs (early stopping).
  virtual void note(const std::string& message) { (void)message; }
};

/// Where a training stands after a whole epoch: what a checkpoint stores to
/// resume it bit for bit (the optimizer slots live in the ModelState).
struct FitProgress {
  int epochs_done = 0;
  std::uint64_t step_counter = 0;  // updates so far (Adam's t, dropout counter)
  std::vector<EpochStats> history;
  std::optional<BestEpoch> best;   // early_stop / save_best: the watch, with the weights to restore
};

/// Optional hooks into fit(): resuming, checkpointing, stopping.
struct FitHooks {
  const FitProgress* resume = nullptr;  // continue after this; the optimizer is not reset
  std::function<void(const FitProgress&)> on_epoch_end;
  std::function<bool()> should_stop;     // polled after every step
  /// After an epoch that is the best so far by the watched figure (save_best
  /// writes the model file here), before on_epoch_end.
  std::function<void(const ModelState&, const EpochStats&)> on_best;
  /// The processes of a data-parallel run (runtime/train/data_parallel.hpp);
  /// null or one process: the whole batch here.
  const dist::Communicator* comm = nullptr;
};

/// What a training did: its epochs and, when it watched a figure, the best
/// epoch (without weights) and whether its weights were put back.
struct FitResult {
  std::vector<EpochStats> history;
  std::optional<BestEpoch> best;
  bool restored = false;  ///< early_stop restore_best put the best epoch's weights back
};

/// Thrown by fit() when should_stop() says so, after a complete step.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The step graphs of one model and one TrainConfig, each lowered once per
/// (step kind, batch size) and kept: a training's steps and its per-epoch
/// validation share one.
class StepGraphs {
 public:
  const lower::StepGraph& get(const check::ModelSpec& model, lower::StepKind kind, std::int64_t batch,
                              const check::TrainConfig& config);

 private:
  std::map<std::pair<int, std::int64_t>, lower::StepGraph> graphs_;
};

/// Trains `state` on `data` for config.epochs, or until config.early_stop
/// stops it (then, with restore_best, the best epoch's weights are put back).
/// `seed` keys shuffling and dropout. The optimizer starts fresh. Throws
/// std::runtime_error naming the epoch, step and layer if the loss or a
/// weight becomes NaN or infinite, unless config.continue_on_nan (then it
/// warns once through `progress`).
FitResult fit(exec::Executor& executor, ModelState& state, const data::Dataset& data,
                            const check::TrainConfig& config, std::uint64_t seed, const data::Dataset* validation,
                            ProgressSink& progress, const FitHooks& hooks = {});

/// Loss and accuracy of `state` on all of `data`, in batches of `batch`.
/// `graphs`, when given, holds graphs lowered for the same model and config
/// (fit's validation passes its own, so no epoch lowers them again).
/// `predictions`, when given, receives every sample's scores from the same
/// pass (what predict() gives), for per-class figures without a second one.
EvalStats evaluate(exec::Executor& executor, ModelState& state, const data::Dataset& data, std::int64_t batch,
                   const check::TrainConfig& config, StepGraphs* graphs = nullptr, Predictions* predictions = nullptr,
                   const dist::Communicator* comm = nullptr);

/// The loss settings used to evaluate a model that has not been trained in
/// the script: cross-entropy on its probabilities (or logits if it has no softmax).
check::TrainConfig default_eval_config(const check::ModelSpec& model);

}  // namespace tl::train
