// Early stopping and the best epoch (see best_epoch.hpp).
#include "runtime/train/best_epoch.hpp"

#include <fmt/format.h>

#include <cmath>

#include "runtime/train/trainer.hpp"

namespace tl::train {

using check::MonitorMetric;

double monitored_value(const EpochStats& stats, MonitorMetric metric) {
  switch (metric) {
    case MonitorMetric::Loss: return stats.loss;
    case MonitorMetric::Accuracy: return stats.accuracy;
    case MonitorMetric::ValLoss: return stats.val_loss.value();
    case MonitorMetric::ValAccuracy: return stats.val_accuracy.value();
  }
  return 0.0;
}

EpochWatch::EpochWatch(const check::TrainConfig& config, const std::optional<BestEpoch>& resumed)
    : stop_(config.early_stop), epochs_(config.epochs) {
  if (config.early_stop) metric_ = config.early_stop->monitor;
  else if (config.save_best) metric_ = *config.save_best;
  if (resumed) best_ = *resumed;
}

bool EpochWatch::keeps_weights() const { return stop_ && stop_->restore_best; }

bool EpochWatch::observe(const EpochStats& stats) {
  if (!metric_) return false;
  const double value = monitored_value(stats, *metric_);
  const double delta = stop_ ? stop_->min_delta : 0.0;
  // Keras: the figure must beat the best by more than min_delta; a NaN never does.
  // An infinite or NaN figure is never the best (nor could a checkpoint store it).
  const bool better = std::isfinite(value) &&
                      (best_.epoch == 0 ||
                       (check::lower_is_better(*metric_) ? value < best_.value - delta : value > best_.value + delta));
  if (better) {
    best_.epoch = stats.epoch;
    best_.value = value;
    best_.wait = 0;
  } else {
    ++best_.wait;
  }
  // Stopped early: patience ran out before the last epoch.
  if (stop_ && best_.wait >= stop_->patience && stats.epoch < epochs_) best_.stopped = true;
  return better;
}

std::string EpochWatch::stop_reason() const {
  const char* name = metric_ ? check::metric_name(*metric_) : "?";
  if (best_.epoch == 0) return fmt::format("{} was never a number for {} epochs", name, best_.wait);
  return fmt::format("{} has not improved for {} epoch{} (best {:.4f} at epoch {})", name, best_.wait,
                     best_.wait == 1 ? "" : "s", best_.value, best_.epoch);
}

}  // namespace tl::train
