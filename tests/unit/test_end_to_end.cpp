// End to end on generated data: check a script, run it with the reference
// executor, and verify what a user relies on — the loss falls, the model
// learns, and results.json carries the documented fields.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dsl/diagnostics.hpp"
#include "dsl/source.hpp"
#include "runtime/data/pixel_stats.hpp"
#include "runtime/run/run_experiment.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

const char* script = R"(
seed 3
tiny = idx("tiny")
train_set = tiny.train | scale 1/255
test_set = tiny.test | scale 1/255
split train_set into fit 0.75, holdout 0.25 shuffled
model small(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3, padding = same, activation = relu)
  maxpool2d(2)
  flatten()
  dense(16, relu)
  dropout(0.1)
  dense(classes, softmax)
}
net = small(5)
train net on fit {
  optimizer adam(lr = 0.01)
  batch 16
  epochs 8
  shuffle 32
  validation holdout
}
evaluate net on test_set
)";

nlohmann::json run(const std::string& text, const std::string& out_dir) {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("e2e.tl", text, store);
  tl::run::RunOptions options;
  options.out_dir = out_dir;
  options.out = std::tmpfile();
  tl::run::run_experiment(exp, store, tl::SourceFile("e2e.tl", text), options);
  std::fclose(options.out);
  std::ifstream in(out_dir + "/results.json");
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("a small experiment trains, learns and writes results.json") {
  const auto dir = std::filesystem::temp_directory_path() / "tl-e2e-a";
  const auto results = run(script, dir.string());
  CHECK(results["status"] == "ok");
  REQUIRE(results["trainings"].size() == 1);
  const auto& history = results["trainings"][0]["history"];
  REQUIRE(history.size() == 8);
  CHECK(history[0]["steps"] == 5);  // 72 samples / batch 16 -> 5 steps, the last partial
  CHECK(history[7]["loss"].get<double>() < 0.5 * history[0]["loss"].get<double>());
  CHECK(history[7].contains("val_accuracy"));
  REQUIRE(results["evaluations"].size() == 1);
  const auto& eval = results["evaluations"][0];
  CHECK(eval["model"] == "net");
  CHECK(eval["samples"] == 20);
  CHECK(eval["accuracy"].get<double>() >= 0.9);
  CHECK(results["parameters"]["net"]["total"] == 40 + 4 * 4 * 4 * 16 + 16 + 16 * 5 + 5);
}

TEST_CASE("the same seed gives bit-identical results") {
  const auto a = run(script, (std::filesystem::temp_directory_path() / "tl-e2e-b").string());
  const auto b = run(script, (std::filesystem::temp_directory_path() / "tl-e2e-c").string());
  for (std::size_t e = 0; e < 8; ++e)
    CHECK(a["trainings"][0]["history"][e]["loss"] == b["trainings"][0]["history"][e]["loss"]);
  CHECK(a["evaluations"][0]["loss"] == b["evaluations"][0]["loss"]);
}

TEST_CASE("a diverging run stops with the epoch, step and layer, and keeps earlier results") {
  const std::string diverging = R"(
seed 1
tiny = idx("tiny")
model small(classes) {
  input(8, 8, 1)
  flatten()
  dense(8, relu)
  dense(classes, softmax)
}
net = small(5)
evaluate net on tiny.test
train net on tiny.train { optimizer sgd(lr = 1e30)  epochs 2  batch 16 }
)";
  const auto dir = std::filesystem::temp_directory_path() / "tl-e2e-nan";
  std::filesystem::remove_all(dir);
  try {
    run(diverging, dir.string());
    FAIL("training with lr 1e30 did not stop");
  } catch (const tl::DiagnosticError& e) {
    const std::string message = e.render();
    CAPTURE(message);
    CHECK(message.find("e2e.tl:12:1: error: ") == 0);
    CHECK(message.find("at epoch 1, step ") != std::string::npos);
    CHECK((message.find("the weights of layer 'dense") != std::string::npos ||
           message.find("the loss became") != std::string::npos));
  }
  std::ifstream in(dir / "results.json");
  const auto results = nlohmann::json::parse(in);
  CHECK(results["status"] == "failed");
  CHECK(results["evaluations"].size() == 1);  // the step before the failure is kept
}

TEST_CASE("normalize from a dataset standardises by its pixel statistics, and results.json records the pixel map") {
  const char* text = R"(
seed 4
tiny = idx("tiny")
train_raw = tiny.train | scale 1/255
train_set = train_raw | normalize from train_raw
test_set = tiny.test | scale 1/255 | normalize from train_raw
unscaled = tiny.test | normalize from train_raw
by_hand = tiny.test | scale 1/255 | normalize mean 0.25 std 0.5
model small(classes) {
  input(8, 8, 1)
  flatten()
  dense(classes, softmax)
}
net = small(5)
train net on train_set { epochs 1  batch 16 }
evaluate net on test_set
)";
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("normalize.tl", text, store);
  auto node = [&](const std::string& display) {
    for (std::size_t i = 0; i < exp.data.size(); ++i)
      if (exp.data[i].display == display) return static_cast<int>(i);
    FAIL("no dataset " << display);
    return -1;
  };
  const auto raw = store.get(exp, node("train_raw"));
  const auto train = store.get(exp, node("train_set"));
  const auto test = store.get(exp, node("test_set"));
  const tl::data::PixelStats before = tl::data::pixel_stats(*raw), after = tl::data::pixel_stats(*train);
  CHECK(before.std > 0.01);
  CHECK(after.mean == doctest::Approx(0.0).epsilon(1e-6).scale(1));
  CHECK(after.std == doctest::Approx(1.0).epsilon(1e-6));
  // The test data is mapped with the training data's statistics, not its own.
  CHECK(test->pixels.scale == train->pixels.scale);
  CHECK(test->pixels.offset == train->pixels.offset);
  CHECK(train->pixels.float_scale() == doctest::Approx(1.0 / 255 / before.std).epsilon(1e-6));
  CHECK(train->pixels.float_offset() == doctest::Approx(-before.mean / before.std).epsilon(1e-6));
  // The statistics are of D's bytes under this pipeline's map, so a scale
  // stage before `normalize from` changes nothing: the bytes end up
  // standardised as D's are.
  const auto unscaled = store.get(exp, node("unscaled"));
  CHECK(unscaled->pixels.float_scale() == doctest::Approx(test->pixels.scale).epsilon(1e-9));
  CHECK(unscaled->pixels.float_offset() == doctest::Approx(test->pixels.offset).epsilon(1e-6));
  const auto hand = store.get(exp, node("by_hand"));
  CHECK(hand->pixels.float_scale() == static_cast<float>(1.0 / 255 / 0.5));
  CHECK(hand->pixels.float_offset() == -0.5f);

  const auto dir = std::filesystem::temp_directory_path() / "tl-e2e-normalize";
  tl::run::RunOptions options;
  options.out_dir = dir.string();
  options.out = std::tmpfile();
  tl::run::run_experiment(exp, store, tl::SourceFile("normalize.tl", text), options);
  std::fclose(options.out);
  std::ifstream in(dir / "results.json");
  const auto results = nlohmann::json::parse(in);
  CHECK(results["trainings"][0]["pixels"]["scale"].get<double>() == static_cast<double>(train->pixels.float_scale()));
  CHECK(results["trainings"][0]["pixels"]["offset"].get<double>() == static_cast<double>(train->pixels.float_offset()));
  CHECK(results["evaluations"][0]["pixels"]["offset"].get<double>() == static_cast<double>(test->pixels.float_offset()));
}
