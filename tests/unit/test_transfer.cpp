// Transfer by construction: reused tensors really are copied from the donor
// at the point of derivation, frozen tensors stay bit-identical through
// training and get no gradient, and fresh layers really are fresh.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "compiler/lower/step_graph.hpp"
#include "dsl/source.hpp"
#include "runtime/run/run_experiment.hpp"
#include "runtime/exec/reference.hpp"
#include "runtime/train/trainer.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

const char* script = R"(
seed 5
tiny = idx("tiny")
data = tiny.train | scale 1/255
model small(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3, activation = relu)
  flatten()
  dense(8, relu)
  dense(classes, softmax)
}
source = small(5)
target = small(5)
train source on data { epochs 2  batch 16 }
train target on data { epochs 1  batch 16 }
t = copy(source) | drop 1 | append head(target, 1) | freeze reused | unfreeze dense_1
h = copy(source) | cut after dense | freeze all | append { dense(5, softmax) }
f = fresh(source)
train h on data { epochs 2  batch 16 }
)";

bool same_tensor(const tl::Tensor& a, const tl::Tensor& b) {
  return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

using Quiet = tl::test::QuietProgress;

/// What a Derive step does: `derived` takes the tensors `model` copies from model 0, from `donor`.
void copy_from_donor(tl::train::ModelState& derived, const tl::check::ModelSpec& model,
                     const tl::train::ModelState& donor) {
  for (const auto& [tensor, origin] : model.origins)
    if (origin.model == 0) derived.vars.tensors[tensor] = donor.vars.tensors.at(origin.tensor);
}

}  // namespace

TEST_CASE("derived models record where each tensor comes from and what is frozen") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("transfer.tl", script, store);
  REQUIRE(exp.models.size() == 5);
  const auto& t = exp.models[2];
  CHECK(t.origins.at("conv2d/kernel").model == 0);
  CHECK(t.origins.at("dense_1/kernel").model == 1);
  CHECK(t.frozen.count("conv2d/kernel") == 1);
  CHECK(t.frozen.count("dense/bias") == 1);
  CHECK(t.frozen.count("dense_1/kernel") == 0);  // unfrozen again
  CHECK(t.trainable_params() == 8 * 5 + 5);
  const auto& h = exp.models[3];
  CHECK(h.layers.size() == 5);
  CHECK(h.layers.back().name == "dense_1");
  CHECK(h.origins.at("dense_1/kernel").model == -1);  // appended: fresh
  const auto& f = exp.models[4];
  CHECK(f.origins.at("conv2d/kernel").model == -1);
  CHECK(f.frozen.empty());
}

TEST_CASE("frozen means frozen: no gradient, no optimizer state, bit-identical weights") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("transfer.tl", script, store);
  const auto& h = exp.models[3];
  // The train graph differentiates only the new head.
  const auto step = tl::lower::build_step(h, 16, tl::lower::StepKind::Train, &exp.steps.back().train, h.frozen);
  CHECK(step.trainable.size() == 2);
  CHECK(step.frozen.size() == 4);
  for (const auto& node : step.graph.nodes()) {
    CHECK(node.name.find("grad/conv2d/") == std::string::npos);
    CHECK(node.op != tl::ir::OpKind::Conv2DGradFilter);
    CHECK(node.name.find("conv2d/kernel/adam") == std::string::npos);
  }

  // Run the derivation and the training by hand and compare the weights.
  auto data = store.get(exp, exp.steps[0].data);
  auto source = tl::train::initialise(exp.models[0], exp.seed);
  auto target = tl::train::initialise(exp.models[1], exp.seed);
  auto derived = tl::train::initialise(h, exp.seed);
  Quiet quiet;
  tl::exec::ReferenceExecutor executor;
  tl::train::fit(executor, source, *data, exp.steps[0].train, 1, nullptr, quiet);
  const tl::Tensor fresh_conv = derived.vars.tensors.at("conv2d/kernel");
  copy_from_donor(derived, h, source);
  CHECK_FALSE(same_tensor(fresh_conv, derived.vars.tensors.at("conv2d/kernel")));  // really copied
  const auto before = derived.vars.tensors;
  tl::train::fit(executor, derived, *data, exp.steps.back().train, 2, nullptr, quiet);
  for (const char* frozen : {"conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias"}) {
    CAPTURE(frozen);
    CHECK(same_tensor(before.at(frozen), derived.vars.tensors.at(frozen)));
    CHECK(derived.vars.tensors.count(std::string(frozen) + "/adam_m") == 0);
  }
  CHECK_FALSE(same_tensor(before.at("dense_1/kernel"), derived.vars.tensors.at("dense_1/kernel")));
  (void)target;
}

TEST_CASE("a whole script with derivations runs and reports the manifest") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("transfer.tl", std::string(script) + "summary t\n", store);
  tl::run::RunOptions options;
  options.out_dir = (std::filesystem::temp_directory_path() / "tl-transfer").string();
  char* text = nullptr;
  std::size_t size = 0;
  options.out = open_memstream(&text, &size);
  tl::run::run_experiment(exp, store, tl::SourceFile("transfer.tl", script), options);
  std::fclose(options.out);
  const std::string out(text, size);
  std::free(text);
  CHECK(out.find("Transfer manifest of \"t\"") != std::string::npos);
  CHECK(out.find("source.conv2d/kernel") != std::string::npos);
  CHECK(out.find("target.dense_1/kernel") != std::string::npos);
  CHECK(out.find("Trainable params: 45") != std::string::npos);
}

TEST_CASE("reinit gives fresh weights, and lr multiplies one layer's learning rate") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("transfer.tl", std::string(script) + R"(
r = copy(source) | reinit dense_1 | lr {conv2d: 0.1, dense: 0.5}
)", store);
  const auto& r = exp.models.back();
  CHECK(r.origins.at("dense_1/kernel").model == -1);
  CHECK(r.origins.at("dense/kernel").model == 0);
  CHECK(r.lr_factors.at("conv2d/kernel") == doctest::Approx(0.1));
  CHECK(r.lr_factors.at("dense/bias") == doctest::Approx(0.5));
  const auto step = tl::lower::build_step(r, 8, tl::lower::StepKind::Train, &exp.steps.back().train, r.frozen);
  int scaled = 0;
  for (const auto& node : step.graph.nodes()) {
    if (node.op != tl::ir::OpKind::AdamUpdate) continue;
    const std::string& param = step.graph.node(node.inputs[0]).name;
    const double expected = param.rfind("conv2d/", 0) == 0 ? 1e-4 : param.rfind("dense/", 0) == 0 ? 5e-4 : 1e-3;
    CAPTURE(param);
    CHECK(node.attrs.lr == doctest::Approx(expected));
    scaled += expected != 1e-3;
  }
  CHECK(scaled == 4);
}

TEST_CASE("a frozen batchnorm runs in inference mode: its moving statistics stay bit-identical on both backends") {
  const char* bn_script = R"(
seed 3
tiny = idx("tiny")
data = tiny.train | scale 1/255
model bn(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3)
  batchnorm()
  activation(relu)
  flatten()
  dense(8)
  batchnorm()
  dense(classes, softmax)
}
source = bn(5)
train source on data { epochs 1  batch 16 }
frozen = copy(source) | drop 1 | freeze reused | append { dense(5, softmax) }
open = copy(source) | drop 1 | freeze conv2d | append { dense(5, softmax) }
train frozen on data { epochs 1  batch 16 }
)";
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("bn.tl", bn_script, store);
  const auto& frozen = exp.models[1];
  const auto& open = exp.models[2];
  const auto& config = exp.steps.back().train;
  // The frozen model's train step has no batch statistics and no moving averages.
  const auto step = tl::lower::build_step(frozen, 16, tl::lower::StepKind::Train, &config, frozen.frozen);
  for (const auto& node : step.graph.nodes()) {
    CHECK(node.op != tl::ir::OpKind::MovingAverage);
    CHECK(node.op != tl::ir::OpKind::ChannelMean);
  }
  // With its batchnorms trainable, the same model keeps batch statistics.
  int averages = 0;
  const auto open_step = tl::lower::build_step(open, 16, tl::lower::StepKind::Train, &config, open.frozen);
  for (const auto& node : open_step.graph.nodes()) averages += node.op == tl::ir::OpKind::MovingAverage;
  CHECK(averages == 4);

  Quiet quiet;
  auto data = store.get(exp, exp.steps[0].data);
  for (const std::string backend : {"reference", "jit"}) {
    CAPTURE(backend);
    const auto executor = tl::exec::make_executor(backend, 2);
    auto source = tl::train::initialise(exp.models[0], exp.seed);
    tl::train::fit(*executor, source, *data, exp.steps[0].train, 1, nullptr, quiet);
    auto derived = tl::train::initialise(frozen, exp.seed);
    copy_from_donor(derived, frozen, source);
    const auto before = derived.vars.tensors;
    tl::train::fit(*executor, derived, *data, config, 2, nullptr, quiet);
    for (const char* tensor : {"batch_normalization/moving_mean", "batch_normalization/moving_variance",
                               "batch_normalization/gamma", "batch_normalization/beta",
                               "batch_normalization_1/moving_mean", "batch_normalization_1/moving_variance",
                               "conv2d/kernel", "dense/kernel"}) {
      CAPTURE(tensor);
      CHECK(same_tensor(before.at(tensor), derived.vars.tensors.at(tensor)));
    }
    CHECK_FALSE(same_tensor(before.at("dense_1/kernel"), derived.vars.tensors.at("dense_1/kernel")));
  }
}
