// Determinism, end to end through run_experiment (what tlc run does): two
// runs of a script with the same seed give bit-identical weights, batchnorm
// statistics, optimizer slots and metrics on the reference backend, the JIT
// on one thread and the JIT on two threads, and so does a JIT run that was
// interrupted and resumed. Another thread count, or the other backend, gives
// close but different numbers: the per-thread partial sums are added in
// thread order, and the JIT fuses multiply-adds where the reference rounds
// twice. docs/reliability.md ("Determinism") states what this checks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "compiler/codegen/compile.hpp"
#include "compiler/codegen/step_plan.hpp"
#include "compiler/lower/step_graph.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/source.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/train/model_state.hpp"
#include "runtime/run/run_experiment.hpp"
#include "tests/unit/fixtures.hpp"
#include "tests/unit/graph_test_support.hpp"

namespace {

// Every source of randomness and every kind of batch reduction: a shuffled
// split, shuffling, dropout, batchnorm statistics, conv filter and dense
// weight gradients summed over the batch, Adam, a partial last batch (72
// samples in batches of 16: 5 steps per epoch), validation and evaluation.
const char* kScript = R"(
seed 7
tiny = idx("tiny")
data = tiny.train | scale 1/255
test = tiny.test | scale 1/255
split data into fit 0.75, holdout 0.25 shuffled
model net(classes) {
  input(8, 8, 1)
  conv2d(16, 3x3, padding = same, activation = relu)
  batchnorm()
  maxpool2d(2)
  flatten()
  dense(64, relu)
  dropout(0.25)
  dense(classes, softmax)
}
a = net(5)
train a on fit { epochs 3  batch 16  shuffle 32  validation holdout }
evaluate a on test
)";

struct Run {
  tl::exec::Variables vars;
  nlohmann::json results;
};

/// Runs kScript into a temp folder named after `tag`; `stop_after` > 0
/// interrupts it after that many training steps (it then throws), `resume`
/// continues from the folder's checkpoint.
Run run(const std::string& backend, int threads, const std::string& tag, int stop_after = 0, bool resume = false) {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("determinism.tl", kScript, store);
  const auto dir = std::filesystem::temp_directory_path() / ("tl-determinism-" + tag);
  if (!resume) std::filesystem::remove_all(dir);
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::tmpfile(), &std::fclose);
  tl::run::RunOptions options;
  options.out_dir = dir.string();
  options.out = out.get();
  options.backend = backend;
  options.threads = threads;
  options.resume = resume;
  int steps = 0;
  if (stop_after > 0) options.should_stop = [&] { return ++steps >= stop_after; };
  auto states = tl::run::run_experiment(exp, store, tl::SourceFile("determinism.tl", kScript), options);
  std::ifstream in(dir / "results.json");
  Run r{std::move(states.at(0).vars), nlohmann::json::parse(in)};
  // Wall-clock times are the one thing allowed to differ between runs.
  r.results.erase("seconds");
  for (auto& t : r.results["trainings"])
    for (auto& e : t["history"]) e.erase("seconds"), e.erase("compile_seconds");
  for (auto& e : r.results["evaluations"]) e.erase("seconds");
  std::filesystem::remove_all(dir);
  return r;
}

/// How many values differ in their bits between `a` and `b` (same names and
/// shapes required), and the largest difference relative to max(|a|, 1e-3).
struct Difference {
  std::size_t values = 0, differing = 0;
  double max_rel = 0;
};
Difference compare(const tl::exec::Variables& a, const tl::exec::Variables& b) {
  Difference d;
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto& [name, ta] : a.tensors) {
    CAPTURE(name);
    REQUIRE(b.tensors.count(name) == 1);
    const tl::Tensor& tb = b.tensors.at(name);
    REQUIRE(ta.shape() == tb.shape());
    for (std::size_t i = 0; i < ta.size(); ++i) {
      const float x = ta.data()[i], y = tb.data()[i];
      ++d.values;
      if (std::memcmp(&x, &y, sizeof x) != 0) ++d.differing;
      d.max_rel = std::max(d.max_rel, std::abs(double(x) - y) / std::max(std::abs(double(x)), 1e-3));
    }
  }
  return d;
}

void check_identical(const Run& a, const Run& b) {
  const Difference d = compare(a.vars, b.vars);
  CHECK(d.values > 5000);  // weights, batchnorm statistics and Adam's slots
  CHECK(d.differing == 0);
  CHECK(a.results["status"] == "ok");
  CHECK(a.results == b.results);  // doubles compared exactly (written with 17 digits)
}

}  // namespace

TEST_CASE("determinism: the two-thread JIT really splits this script's training steps") {
  // A step below JitExecutor::kMinParallelWork multiply-adds runs on one
  // thread whatever the thread count, which would make the thread-count
  // cases below compare one thread with itself.
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("determinism.tl", kScript, store);
  for (const std::int64_t rows : {16, 8}) {  // a full batch and the last, partial one
    CAPTURE(rows);
    const auto step = tl::lower::build_step(exp.models.at(0), rows, tl::lower::StepKind::Train, &exp.steps.at(0).train);
    CHECK(tl::codegen::plan_step(step.graph).work >= tl::exec::JitExecutor::kMinParallelWork);
  }
}

TEST_CASE("determinism: the same seed gives bit-identical weights and metrics, per backend and thread count") {
  struct Config {
    const char* backend;
    int threads;
  };
  for (const Config c : {Config{"reference", 1}, Config{"jit", 1}, Config{"jit", 2}}) {
    CAPTURE(c.backend);
    CAPTURE(c.threads);
    const std::string tag = std::string(c.backend) + std::to_string(c.threads);
    check_identical(run(c.backend, c.threads, tag + "-a"), run(c.backend, c.threads, tag + "-b"));
  }
}

TEST_CASE("determinism: a JIT run on two threads, interrupted and resumed, ends bit-identical") {
  const Run whole = run("jit", 2, "whole");
  for (const int stop_after : {3, 7, 15}) {  // within epoch 1, within epoch 2, at the end of training
    CAPTURE(stop_after);
    const std::string tag = "stop" + std::to_string(stop_after);
    CHECK_THROWS_AS(run("jit", 2, tag, stop_after), tl::DiagnosticError);
    check_identical(whole, run("jit", 2, tag, 0, true));
  }
}

TEST_CASE("determinism: another thread count or backend gives close, not identical, numbers") {
  const Run reference = run("reference", 1, "ref"), one = run("jit", 1, "jit1"), two = run("jit", 2, "jit2");
  auto check_close_but_different = [](const Run& a, const Run& b) {
    const Difference d = compare(a.vars, b.vars);
    MESSAGE(d.differing << " of " << d.values << " values differ, by at most " << d.max_rel << " relative");
    // The rounding differs, so some values must differ: if none did, the
    // thread split or the fused multiply-adds would have gone away and
    // docs/reliability.md ("Determinism") would need updating.
    CHECK(d.differing > 0);
    CHECK(d.max_rel < 1e-2);
    const auto& ha = a.results["trainings"][0]["history"];
    const auto& hb = b.results["trainings"][0]["history"];
    REQUIRE(ha.size() == hb.size());
    for (std::size_t e = 0; e < ha.size(); ++e) {
      CHECK(hb[e]["loss"].get<double>() == doctest::Approx(ha[e]["loss"].get<double>()).epsilon(1e-3));
      CHECK(hb[e]["val_loss"].get<double>() == doctest::Approx(ha[e]["val_loss"].get<double>()).epsilon(1e-3));
    }
    const auto& ea = a.results["evaluations"][0];
    const auto& eb = b.results["evaluations"][0];
    CHECK(eb["loss"].get<double>() == doctest::Approx(ea["loss"].get<double>()).epsilon(1e-3));
    CHECK(eb["accuracy"] == ea["accuracy"]);
  };
  {
    INFO("the JIT on 1 thread against 2 threads");
    check_close_but_different(one, two);
  }
  {
    INFO("the reference against the JIT on 1 thread");
    check_close_but_different(reference, one);
  }
}

TEST_CASE("determinism: a partial batch gives the same bits on code compiled for it or for a larger batch") {
  // A model of its own, so no other test has compiled its steps: the 5-row
  // step is compiled first for 5 rows, then a 12-row step of the same
  // structure replaces it in the cache and the 5-row step runs on that code.
  const char* script = R"(
seed 2
tiny = idx("tiny")
model odd(classes) {
  input(8, 8, 1)
  conv2d(3, 3x3, activation = relu)
  flatten()
  dense(11, relu)
  dense(classes, softmax)
}
m = odd(5)
train m on tiny.train { epochs 1  batch 12 }
)";
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("cache.tl", script, store);
  const auto& model = exp.models.at(0);
  const auto small = tl::lower::build_step(model, 5, tl::lower::StepKind::Train, &exp.steps.at(0).train);
  const auto large = tl::lower::build_step(model, 12, tl::lower::StepKind::Train, &exp.steps.at(0).train);
  const tl::exec::Variables initial = tl::train::initialise(model, exp.seed).vars;
  auto labels = [](std::int64_t n) {
    tl::Tensor t = tl::test::random_tensor({n}, 3);
    for (std::int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<float>(i % 5);
    return t;
  };
  const tl::Tensor images5 = tl::test::random_tensor({5, 8, 8, 1}, 1, 0, 1), labels5 = labels(5);
  const tl::Tensor images12 = tl::test::random_tensor({12, 8, 8, 1}, 2, 0, 1), labels12 = labels(12);
  tl::exec::JitExecutor jit(2, 0);  // split every step between the two threads
  auto steps_of_five = [&] {
    tl::exec::Variables vars = initial;
    for (std::uint64_t s = 1; s <= 3; ++s) jit.run(small.graph, vars, {&images5, &labels5}, {9, s});
    return vars;
  };
  const int compiled_before = tl::codegen::compile_stats().compiled;
  const tl::exec::Variables own_code = steps_of_five();
  CHECK(tl::codegen::compile_stats().compiled == compiled_before + 1);  // compiled for 5 rows
  tl::exec::Variables vars = initial;
  jit.run(large.graph, vars, {&images12, &labels12}, {9, 1});
  CHECK(tl::codegen::compile_stats().compiled == compiled_before + 2);  // 12 rows replace it
  const tl::exec::Variables large_code = steps_of_five();
  CHECK(tl::codegen::compile_stats().compiled == compiled_before + 2);  // 5 rows reuse the 12-row code
  const Difference d = compare(own_code, large_code);
  CHECK(d.values > 500);
  CHECK(d.differing == 0);
}
