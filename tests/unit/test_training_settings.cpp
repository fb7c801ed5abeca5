// Training settings as the checker reads them: weight decay, L2, smoothing,
// clipping, early stopping, whatever the order they are written in.
#include <doctest/doctest.h>

#include "tests/unit/fixtures.hpp"

namespace {

const tl::check::TrainConfig& config_of(const tl::check::Experiment& exp) {
  for (const auto& s : exp.steps)
    if (s.kind == tl::check::Step::Kind::Train) return s.train;
  throw std::logic_error("no train step");
}

std::string script(const std::string& settings) {
  return R"(
tiny = idx("tiny")
model m(classes) {
  input(8, 8, 1)
  flatten()
  dense(classes, softmax)
}
net = m(5)
train net on tiny.train { )" + settings + " }\n";
}

}  // namespace

TEST_CASE("training settings: weight decay and L2 hold whatever the order of the optimizer") {
  tl::data::DataStore store;
  for (const char* settings : {"weight_decay 0.05  l2 0.001  optimizer adam", "optimizer adam  weight_decay 0.05  l2 0.001",
                               "l2 0.001  optimizer sgd(lr = 0.1)  weight_decay 0.05"}) {
    CAPTURE(settings);
    const auto exp = tl::test::check_ok("settings.tl", script(settings), store);
    CHECK(config_of(exp).optimizer.weight_decay == 0.05);
    CHECK(config_of(exp).optimizer.l2 == 0.001);
  }
  // adamw's default gives way to the setting, in either order; an explicit one does not.
  for (const char* settings : {"weight_decay 0.05  optimizer adamw", "optimizer adamw  weight_decay 0.05"}) {
    CAPTURE(settings);
    CHECK(config_of(tl::test::check_ok("settings.tl", script(settings), store)).optimizer.weight_decay == 0.05);
  }
  CHECK(config_of(tl::test::check_ok("settings.tl", script("optimizer adamw"), store)).optimizer.weight_decay == 0.01);
  const std::string twice = tl::test::check_error("settings.tl", script("weight_decay 0.05  optimizer adamw(weight_decay = 0.1)"), store);
  CHECK(twice.find("the weight decay is set twice") != std::string::npos);
}

TEST_CASE("training settings: smoothing, clipping and early stopping") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok(
      "settings.tl",
      script("epochs 9  loss sparse_categorical_crossentropy(label_smoothing = 0.1)  clip_norm 2  early_stop loss(patience = 2, "
             "min_delta = 0.01, restore_best = false)  save_best loss"),
      store);
  const auto& c = config_of(exp);
  CHECK(c.loss.label_smoothing == 0.1);
  CHECK(c.clip_norm == 2.0);
  REQUIRE(c.early_stop.has_value());
  CHECK(c.early_stop->monitor == tl::check::MonitorMetric::Loss);
  CHECK(c.early_stop->patience == 2);
  CHECK(c.early_stop->min_delta == 0.01);
  CHECK_FALSE(c.early_stop->restore_best);
  CHECK(c.save_best == tl::check::MonitorMetric::Loss);
}
