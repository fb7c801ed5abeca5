// Interrupted runs: stopping after any step keeps the last checkpoint, and
// resuming from it gives bit-identical final weights and metrics to a run that
// was never interrupted, across train, derive, evaluate and compare steps.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dsl/diagnostics.hpp"
#include "dsl/source.hpp"
#include "runtime/run/run_experiment.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

const char* script = R"(
seed 11
tiny = idx("tiny")
data = tiny.train | scale 1/255
test = tiny.test | scale 1/255
model small(classes) {
  input(8, 8, 1)
  conv2d(3, 3x3, activation = relu)
  flatten()
  dense(8, relu)
  dropout(0.25)
  dense(classes, softmax)
}
source = small(5)
train source on data { epochs 3  batch 16  shuffle 20 }
evaluate source on test
t = copy(source) | drop 1 | freeze conv2d | append { dense(5, softmax) }
train t on data { epochs 3  batch 16 }
scratch = small(5)
train scratch on data { epochs 2  batch 16 }
compare scratch, t on test
)";

/// Runs the script; `stop_after` > 0 interrupts after that many training steps.
std::vector<tl::train::ModelState> run(const std::filesystem::path& dir, int stop_after, bool resume,
                                       tl::data::DataStore& store, const tl::check::Experiment& exp) {
  tl::run::RunOptions options;
  options.out_dir = dir.string();
  options.out = std::tmpfile();
  options.resume = resume;
  int steps = 0;
  if (stop_after > 0) options.should_stop = [&] { return ++steps >= stop_after; };
  auto states = tl::run::run_experiment(exp, store, tl::SourceFile("resume.tl", script), options);
  std::fclose(options.out);
  return states;
}

bool same(const tl::Tensor& a, const tl::Tensor& b) {
  return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

TEST_CASE("a run interrupted anywhere resumes to bit-identical weights and results") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("resume.tl", script, store);
  const auto base = std::filesystem::temp_directory_path() / "tl-resume";
  std::filesystem::remove_all(base);
  const auto reference = run(base / "whole", 0, false, store, exp);
  CHECK_FALSE(std::filesystem::exists(base / "whole/checkpoint"));  // removed after success

  // 6 steps per epoch; stop in the middle of epochs and at the end of a train step.
  for (const int stop_after : {4, 13, 18, 27, 40}) {
    CAPTURE(stop_after);
    const auto dir = base / ("stop" + std::to_string(stop_after));
    CHECK_THROWS_AS(run(dir, stop_after, false, store, exp), tl::DiagnosticError);
    CHECK(std::filesystem::exists(dir / "checkpoint/checkpoint.safetensors"));
    const auto resumed = run(dir, 0, true, store, exp);
    REQUIRE(resumed.size() == reference.size());
    for (std::size_t m = 0; m < reference.size(); ++m)
      for (const auto& [name, tensor] : reference[m].vars.tensors) {
        CAPTURE(name);
        REQUIRE(resumed[m].vars.tensors.count(name) == 1);
        CHECK(same(resumed[m].vars.tensors.at(name), tensor));
      }
    std::ifstream a(base / "whole/results.json"), b(dir / "results.json");
    auto ra = nlohmann::json::parse(a), rb = nlohmann::json::parse(b);
    for (auto* r : {&ra, &rb})  // wall-clock time is the one thing allowed to differ
      for (auto& row : (*r)["comparisons"][0]["rows"]) row.erase("train_seconds"), row.erase("compile_seconds");
    CHECK(rb["status"] == "ok");
    CHECK(ra["evaluations"][0]["loss"] == rb["evaluations"][0]["loss"]);
    CHECK(ra["comparisons"][0]["rows"] == rb["comparisons"][0]["rows"]);
    for (std::size_t t = 0; t < 3; ++t)
      for (std::size_t e = 0; e < ra["trainings"][t]["history"].size(); ++e)
        CHECK(ra["trainings"][t]["history"][e]["loss"] == rb["trainings"][t]["history"][e]["loss"]);
  }
}

TEST_CASE("resuming needs a checkpoint of the same script") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("resume.tl", script, store);
  const auto dir = std::filesystem::temp_directory_path() / "tl-resume-none";
  std::filesystem::remove_all(dir);
  CHECK_THROWS_WITH(run(dir, 0, true, store, exp), doctest::Contains("there is no checkpoint to resume from"));
}
