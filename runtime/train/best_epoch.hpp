// Watching one per-epoch figure of a training: early stopping (Keras'
// EarlyStopping: patience, min_delta, restore_best_weights) and the best
// epoch so far, whose weights `save_best` writes and `restore_best` puts back.
#pragma once

#include <optional>
#include <string>

#include "compiler/check/experiment.hpp"
#include "runtime/exec/executor.hpp"

namespace tl::train {

struct EpochStats;

/// Where the watch stands after some epochs; a checkpoint keeps it.
struct BestEpoch {
  int epoch = 0;         ///< the best epoch (1-based); 0 before the first
  double value = 0.0;    ///< its monitored figure
  int wait = 0;          ///< epochs since it, none of them better by more than min_delta
  bool stopped = false;  ///< early stopping ended the training
  /// The best epoch's weights and statistics (no optimizer slots), kept only
  /// when they are to be restored.
  exec::Variables weights;
};

/// The monitored figure of an epoch (its validation figures must be there).
double monitored_value(const EpochStats& stats, check::MonitorMetric metric);

class EpochWatch {
 public:
  /// Watches config.early_stop's figure, else config.save_best's; inactive
  /// when the training has neither. `resumed`: the state a checkpoint kept.
  EpochWatch(const check::TrainConfig& config, const std::optional<BestEpoch>& resumed);

  bool active() const { return metric_.has_value(); }
  /// After an epoch: true when it is the best so far (the first always is;
  /// later ones must beat the best by more than min_delta). Counts the wait
  /// and decides the stop.
  bool observe(const EpochStats& stats);
  /// Whether the weights of the best epoch are to be kept (and restored).
  bool keeps_weights() const;
  const BestEpoch& state() const { return best_; }
  BestEpoch& state() { return best_; }
  /// "val_loss has not improved for 3 epochs (best 0.0412 at epoch 4)".
  std::string stop_reason() const;

 private:
  std::optional<check::MonitorMetric> metric_;
  std::optional<check::EarlyStop> stop_;
  int epochs_ = 0;
  BestEpoch best_;
};

}  // namespace tl::train
