// Keras-style progress lines and the live bar (see progress.hpp).
#include "runtime/report/progress.hpp"

#include <cmath>
#include <string>

namespace tl::report {

void ConsoleProgress::epoch_begin(int epoch, int epochs, std::int64_t steps) {
  steps_ = steps;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  std::fprintf(out_, "Epoch %d/%d\n", epoch, epochs);
  std::fflush(out_);
}

void ConsoleProgress::step(std::int64_t done, double loss, double accuracy) {
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < steps_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const int width = 30;
  const int filled = static_cast<int>(width * done / std::max<std::int64_t>(steps_, 1));
  std::string bar(static_cast<std::size_t>(width), '.');
  for (int i = 0; i < filled; ++i) bar[static_cast<std::size_t>(i)] = '=';
  if (filled < width) bar[static_cast<std::size_t>(filled)] = '>';
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * static_cast<double>(steps_ - done) / static_cast<double>(done) : 0;
  std::fprintf(out_, "\r%lld/%lld [%s] - ETA: %.0fs - loss: %.4f - accuracy: %.4f\x1b[K", static_cast<long long>(done),
               static_cast<long long>(steps_), bar.c_str(), eta, loss, accuracy);
  std::fflush(out_);
}

void ConsoleProgress::epoch_end(const train::EpochStats& s) {
  if (live_) std::fprintf(out_, "\r\x1b[K");
  std::fprintf(out_, "%lld/%lld - %.0fs - loss: %.4f - accuracy: %.4f", static_cast<long long>(s.steps),
               static_cast<long long>(s.steps), std::round(s.seconds), s.loss, s.accuracy);
  if (s.val_loss) std::fprintf(out_, " - val_loss: %.4f - val_accuracy: %.4f", *s.val_loss, *s.val_accuracy);
  std::fprintf(out_, "\n");
  std::fflush(out_);
}

void ConsoleProgress::warning(const std::string& message) {
  if (live_) std::fprintf(out_, "\r\x1b[K");
  std::fprintf(out_, "warning: %s\n", message.c_str());
  std::fflush(out_);
}

}  // namespace tl::report
