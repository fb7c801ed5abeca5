// Console progress for training, in Keras' words: "Epoch 3/10", then
// "938/938 - 2.3s 2ms/step - loss: 0.3239 - accuracy: 0.8928" (seconds with
// a decimal below 10). On a terminal a live bar is redrawn in place (at most
// ~10 times a second) while the epoch runs; its ETA counts from the end of
// the first step, which includes compiling the step.
#pragma once

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "runtime/train/trainer.hpp"

namespace tl::report {

class ConsoleProgress : public train::ProgressSink {
 public:
  /// `live`: draw the bar (stdout is a terminal).
  ConsoleProgress(std::FILE* out, bool live) : out_(out), live_(live) {}
  void epoch_begin(int epoch, int epochs, std::int64_t steps) override;
  void step(std::int64_t done, double loss, double accuracy) override;
  void epoch_end(const train::EpochStats& stats) override;
  void warning(const std::string& message) override;
  void note(const std::string& message) override;

 private:
  std::FILE* out_;
  bool live_;
  std::int64_t steps_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::optional<std::chrono::steady_clock::time_point> first_done_;  ///< when the epoch's first step ended
};

}  // namespace tl::report
