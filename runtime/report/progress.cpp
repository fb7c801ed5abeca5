// Keras-style progress lines and the live bar (see progress.hpp).
#include "runtime/report/progress.hpp"

#include <cmath>
#include <string>

namespace tl::report {

namespace {

/// Seconds as Keras would show them, but with a decimal below 10 ("0.4s", "12s").
std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, s < 9.95 ? "%.1fs" : "%.0fs", s);
  return text;
}

}  // namespace

void ConsoleProgress::epoch_begin(int epoch, int epochs, std::int64_t steps) {
  steps_ = steps;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  first_done_.reset();
  std::fprintf(out_, "Epoch %d/%d\n", epoch, epochs);
  std::fflush(out_);
}

void ConsoleProgress::step(std::int64_t done, double loss, double accuracy) {
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done == 1) first_done_ = now;  // the first step compiles the kernels: the rate starts after it
  if (done < steps_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const int width = 30;
  const int filled = static_cast<int>(width * done / std::max<std::int64_t>(steps_, 1));
  std::string bar(static_cast<std::size_t>(width), '.');
  for (int i = 0; i < filled; ++i) bar[static_cast<std::size_t>(i)] = '=';
  if (filled < width) bar[static_cast<std::size_t>(filled)] = '>';
  std::string eta = "-";
  if (first_done_ && done > 1) {
    const double per_step = std::chrono::duration<double>(now - *first_done_).count() / static_cast<double>(done - 1);
    eta = seconds_text(per_step * static_cast<double>(steps_ - done));
  }
  std::fprintf(out_, "\r%lld/%lld [%s] - ETA: %s - loss: %.4f - accuracy: %.4f\x1b[K", static_cast<long long>(done),
               static_cast<long long>(steps_), bar.c_str(), eta.c_str(), loss, accuracy);
  std::fflush(out_);
}

void ConsoleProgress::epoch_end(const train::EpochStats& s) {
  if (live_) std::fprintf(out_, "\r\x1b[K");
  // Time per step as Keras gives it: ms, or us below a millisecond.
  const double per_step = s.steps > 0 ? s.seconds / static_cast<double>(s.steps) : 0.0;
  char step_time[32];
  std::snprintf(step_time, sizeof step_time, per_step < 1e-3 ? "%.0fus/step" : "%.0fms/step",
                per_step < 1e-3 ? per_step * 1e6 : per_step * 1e3);
  std::fprintf(out_, "%lld/%lld - %s %s - loss: %.4f - accuracy: %.4f", static_cast<long long>(s.steps),
               static_cast<long long>(s.steps), seconds_text(s.seconds).c_str(), step_time, s.loss, s.accuracy);
  if (s.val_loss) std::fprintf(out_, " - val_loss: %.4f - val_accuracy: %.4f", *s.val_loss, *s.val_accuracy);
  std::fprintf(out_, "\n");
  std::fflush(out_);
}

void ConsoleProgress::warning(const std::string& message) {
  if (live_) std::fprintf(out_, "\r\x1b[K");
  std::fprintf(out_, "warning: %s\n", message.c_str());
  std::fflush(out_);
}

void ConsoleProgress::note(const std::string& message) {
  if (live_) std::fprintf(out_, "\r\x1b[K");
  std::fprintf(out_, "%s\n", message.c_str());
  std::fflush(out_);
}

}  // namespace tl::report
