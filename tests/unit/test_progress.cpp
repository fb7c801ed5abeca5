// Console progress in Keras' words: seconds with a decimal below 10, time per
// step in ms (us below a millisecond), validation figures when there are any.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/report/progress.hpp"

namespace {

/// What ConsoleProgress prints for one epoch with these figures.
std::string epoch_line(double seconds, std::int64_t steps, bool validation = false) {
  char* text = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  tl::report::ConsoleProgress progress(out, false);
  progress.epoch_begin(1, 1, steps);
  tl::train::EpochStats s;
  s.epoch = 1;
  s.steps = steps;
  s.seconds = seconds;
  s.loss = 0.25;
  s.accuracy = 0.9;
  if (validation) s.val_loss = 0.5, s.val_accuracy = 0.8;
  progress.epoch_end(s);
  std::fclose(out);
  std::string line(text, size);
  std::free(text);
  return line;
}

}  // namespace

TEST_CASE("progress lines: seconds, time per step and metrics as Keras prints them") {
  CHECK(epoch_line(2.4, 938) == "Epoch 1/1\n938/938 - 2.4s 3ms/step - loss: 0.2500 - accuracy: 0.9000\n");
  CHECK(epoch_line(12.3, 100) == "Epoch 1/1\n100/100 - 12s 123ms/step - loss: 0.2500 - accuracy: 0.9000\n");
  CHECK(epoch_line(0.41, 938) == "Epoch 1/1\n938/938 - 0.4s 437us/step - loss: 0.2500 - accuracy: 0.9000\n");
  CHECK(epoch_line(1.0, 10, true) ==
        "Epoch 1/1\n10/10 - 1.0s 100ms/step - loss: 0.2500 - accuracy: 0.9000 - val_loss: 0.5000 - val_accuracy: 0.8000\n");
}
