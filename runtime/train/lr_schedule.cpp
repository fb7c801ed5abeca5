// Learning-rate schedules; see lr_schedule.hpp.
#include "runtime/train/lr_schedule.hpp"

#include <cmath>

namespace tl::train {

LrScheduler::LrScheduler(const check::LrSchedule& schedule, int epochs, std::size_t steps_per_epoch)
    : s_(schedule), epochs_(epochs), steps_(steps_per_epoch) {}

double LrScheduler::factor(int epoch, std::size_t step) const {
  using Kind = check::LrSchedule::Kind;
  switch (s_.kind) {
    case Kind::Constant: return 1.0;
    case Kind::Step: return std::pow(s_.gamma, (epoch - 1) / s_.every);
    case Kind::Exponential: return std::pow(s_.gamma, epoch - 1);
    case Kind::Cosine: {
      const double update = static_cast<double>(static_cast<std::size_t>(epoch - 1) * steps_ + step);
      const double warmup = static_cast<double>(static_cast<std::size_t>(s_.warmup) * steps_);
      const double total = static_cast<double>(static_cast<std::size_t>(epochs_) * steps_);
      if (update < warmup) return (update + 1) / warmup;
      const double progress = total > warmup ? (update - warmup) / (total - warmup) : 0.0;
      return s_.min_factor + (1 - s_.min_factor) * 0.5 * (1 + std::cos(M_PI * progress));
    }
    case Kind::Plateau: return plateau_;
  }
  return 1.0;
}

void LrScheduler::epoch_end(double monitored) {
  if (s_.kind != check::LrSchedule::Kind::Plateau) return;
  // An improvement is a drop by more than 1e-4 (Keras' and PyTorch's
  // ReduceLROnPlateau: min_delta 1e-4, absolute); a NaN never is one (and
  // never becomes the best, so a later finite loss still improves on it).
  if (!std::isnan(monitored) && (!seen_ || monitored < best_ - 1e-4)) {
    best_ = monitored;
    seen_ = true;
    wait_ = 0;
    return;
  }
  if (++wait_ >= s_.patience) {
    plateau_ *= s_.factor;
    wait_ = 0;
  }
}

}  // namespace tl::train
