// The learning-rate factor of each update under a schedule
// (check::LrSchedule, whose comment defines each one). The trainer passes it
// to the executor with every step (exec::StepContext::lr_scale); the
// optimizers' fused updates multiply their learning rate by it.
#pragma once

#include <cstddef>

#include "compiler/check/experiment.hpp"

namespace tl::train {

class LrScheduler {
 public:
  LrScheduler(const check::LrSchedule& schedule, int epochs, std::size_t steps_per_epoch);
  /// The factor of update `step` (0-based) of epoch `epoch` (1-based).
  double factor(int epoch, std::size_t step) const;
  /// After each epoch, in order, the monitored loss (plateau only).
  void epoch_end(double monitored);

 private:
  check::LrSchedule s_;
  int epochs_;
  std::size_t steps_;
  double plateau_ = 1.0, best_ = 0.0;
  int wait_ = 0;
  bool seen_ = false;
};

}  // namespace tl::train
