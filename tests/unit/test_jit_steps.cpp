// Whole training steps, JIT against the reference: small CNNs with dropout,
// batchnorm, avgpool, same padding, strides, residual adds and both
// optimizers train for several steps; every parameter, statistic and
// optimizer slot must agree within 1e-5 relative (bit-identical on one
// thread), and eval and predict steps must give the same predictions.
#include <doctest/doctest.h>

#include <sstream>
#include <thread>

#include "compiler/codegen/compile.hpp"
#include "compiler/lower/step_graph.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"
#include "runtime/train/model_state.hpp"
#include "tests/unit/fixtures.hpp"
#include "tests/unit/graph_test_support.hpp"
#include "tests/unit/test_jit_support.hpp"

namespace {

using namespace tl;

const char* kScript = R"(
seed 3
tiny = idx("tiny")
data = tiny.train | scale 1/255
model bn_cnn(classes) {
  input(8, 8, 1)
  conv2d(6, 3x3, padding = same, activation = relu)
  batchnorm()
  conv2d(8, 3x3, strides = 2, padding = same)
  activation(tanh)
  avgpool2d(2, padding = same)
  maxpool2d(2, strides = 1, padding = same)
  flatten()
  dense(12, sigmoid)
  dropout(0.25)
  dense(classes, softmax)
}
model residual(classes) {
  input(8, 8, 1)
  stem: conv2d(4, 3x3, padding = same, activation = relu)
  branch: conv2d(4, 3x3, padding = same)
  add(stem, branch)
  activation(relu)
  maxpool2d(3, strides = 2, padding = valid)
  global_maxpool2d()
  dense(classes)
}
model seed_cnn(classes) {
  input(8, 8, 1)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}
model relu_pools(classes) {
  input(8, 8, 1)
  conv2d(5, 3x3, activation = relu)
  maxpool2d(2)
  conv2d(20, 2x2, padding = same, activation = tanh)
  maxpool2d(2)
  flatten()
  dense(classes, softmax)
}
model excite(classes) {
  input(8, 8, 1)
  body: conv2d(6, 3x3, padding = same, activation = hard_swish)
  global_avgpool2d()
  dense(3, relu6)
  gate: dense(6, hard_sigmoid)
  multiply(body, gate)
  conv2d(8, 3x3, strides = 2, activation = swish)
  activation(clip(-0.5, 0.75))
  global_avgpool2d()
  dense(classes, softmax)
}
# SGD, and tanh on the stem: Adam turns a noise-level gradient (a channel
# that relu6 keeps at 0) into a full step of either sign, and a relu whose
# input lands on 0 flips between the executors' roundings; both would make
# the comparison test chaos instead of kernels.
model inverted(classes) {
  input(8, 8, 1)
  stem: conv2d(8, 3x3, strides = 2, padding = 1, activation = tanh)
  conv2d(16, 1x1, activation = relu6)
  depthwise_conv2d(3x3, padding = 1, activation = relu6)
  batchnorm()
  project: conv2d(8, 1x1)
  add(stem, project)
  depthwise_conv2d(3x3, strides = 2, padding = same, multiplier = 2, use_bias = false)
  global_avgpool2d()
  dense(classes, softmax)
}
# Channels and units equal to the batch (16): the batch stays a run-time
# extent all the same.
model widths(classes) {
  input(8, 8, 1)
  conv2d(16, 3x3, activation = relu)
  maxpool2d(2)
  flatten()
  dense(16, relu)
  dropout(0.25)
  dense(classes, softmax)
}
a = bn_cnn(5)
b = residual(5)
c = seed_cnn(5)
d = relu_pools(5)
e = excite(5)
f = inverted(5)
train a on data { epochs 1  batch 16 }
train b on data { epochs 1  batch 16  optimizer sgd(lr = 0.05, momentum = 0.9, nesterov = true)  loss sparse_categorical_crossentropy(from_logits = true) }
train c on data { epochs 1  batch 16  optimizer sgd(lr = 0.1) }
train d on data { epochs 1  batch 16 }
train e on data { epochs 1  batch 16 }
train f on data { epochs 1  batch 16  optimizer sgd(lr = 0.05, momentum = 0.9) }
g = widths(5)
train g on data { epochs 1  batch 16 }
# First layers whose filter gradient reads the pool window's input pixels as
# one vector: two channel vectors, dilation, strides, a wide window.
model patches(classes) {
  pixels: input(8, 8, 1)
  conv2d(20, 3x3)
  maxpool2d(2)
  flatten()
  wide: dense(6)
  conv2d(4, 2x2, dilation = 2) from pixels
  maxpool2d(2)
  flatten()
  dilated: dense(6)
  conv2d(3, 2x1, strides = 2) from pixels
  maxpool2d(2)
  flatten()
  strided: dense(6)
  conv2d(5, 1x3) from pixels
  maxpool2d(2x3)
  flatten()
  windows: dense(6)
  add(wide, dilated, strided, windows)
  dense(classes, softmax)
}
h = patches(5)
train h on data { epochs 1  batch 16 }
# A residual block with batchnorm: the statistics are summed inside the convs'
# passes (72 channels: a masked channel vector; 8x8x72 outputs: one thread's
# 16 rows in two chunks) and inside the elementwise passes, the backward's
# branches share one pass, and the mean's adjoint is computed where read.
# SGD: Adam turns noise-level gradients into full steps (see inverted).
model bn_residual(classes) {
  input(8, 8, 1)
  conv2d(72, 3x3, padding = same, use_bias = false)
  batchnorm()
  stem: activation(relu)
  conv2d(72, 3x3, padding = same, use_bias = false)
  batchnorm()
  activation(relu)
  conv2d(72, 3x3, padding = same, use_bias = false)
  branch: batchnorm()
  add(stem, branch)
  activation(relu)
  global_avgpool2d()
  dense(classes, softmax)
}
i = bn_residual(5)
train i on data { epochs 1  batch 16  optimizer sgd(lr = 0.05, momentum = 0.9) }
# Keras's mnist_cnn in small: the second conv's filter gradient is too wide
# for the pool-grads kernel, so the max pool's gradient streams into the
# relu's gradient and the bias's sum instead (40 channels: a masked vector).
model wide_pool(classes) {
  input(8, 8, 1)
  conv2d(8, 3x3, padding = same, activation = relu)
  conv2d(40, 3x3, padding = same, activation = relu)
  maxpool2d(2)
  flatten()
  dense(classes, softmax)
}
j = wide_pool(5)
train j on data { epochs 1  batch 16 }
# One channel: batchnorm's statistics are single floats.
model bn_one(classes) {
  input(8, 8, 1)
  conv2d(1, 3x3)
  batchnorm()
  activation(relu)
  flatten()
  dense(classes, softmax)
}
k = bn_one(5)
train k on data { epochs 1  batch 16 }
)";

struct Batch {
  Tensor images, labels;
};

Batch batch(std::int64_t n, std::uint64_t stream, const ir::Shape& sample = {8, 8, 1}) {
  ir::Shape shape = {n};
  shape.insert(shape.end(), sample.begin(), sample.end());
  Batch b{test::random_tensor(shape, stream, 0, 1), test::random_tensor({n}, stream + 1)};
  for (std::int64_t i = 0; i < n; ++i) b.labels.data()[i] = static_cast<float>((i * 7 + static_cast<std::int64_t>(stream)) % 5);
  return b;
}

/// Trains model `index` of the script for `steps` steps on both executors
/// (batch `n`), comparing everything after each step, then compares eval and
/// predict outputs on the trained weights.
void check_training(std::size_t index, std::int64_t n, int threads, int steps) {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("jit_steps.tl", kScript, store);
  const check::ModelSpec& model = exp.models[index];
  const check::TrainConfig& config = exp.steps[index].train;
  const lower::StepGraph train = lower::build_step(model, n, lower::StepKind::Train, &config);
  const lower::StepGraph eval = lower::build_step(model, n, lower::StepKind::Eval, &config);
  const lower::StepGraph predict = lower::build_step(model, n, lower::StepKind::Predict, &config);
  exec::Variables ref_vars = train::initialise(model, exp.seed).vars, jit_vars = ref_vars;
  exec::ReferenceExecutor reference;
  exec::JitExecutor jit(threads, 0);
  test::Tolerance tol;
  tol.exact = false;
  CAPTURE(model.name);
  CAPTURE(threads);
  const ir::Shape sample(model.layers.front().shape.begin(), model.layers.front().shape.end());
  for (int s = 1; s <= steps; ++s) {
    const Batch b = batch(n, static_cast<std::uint64_t>(s) * 10, sample);
    const exec::StepContext ctx{11, static_cast<std::uint64_t>(s)};
    const auto expected = reference.run(train.graph, ref_vars, {&b.images, &b.labels}, ctx);
    const auto got = jit.run(train.graph, jit_vars, {&b.images, &b.labels}, ctx);
    test::check_close(got.at("loss"), expected.at("loss"), tol, "loss at step " + std::to_string(s));
    CHECK(got.at("correct")() == expected.at("correct")());
    REQUIRE(jit_vars.tensors.size() == ref_vars.tensors.size());
    for (const auto& [name, t] : ref_vars.tensors) check_close(jit_vars.tensors.at(name), t, tol, name);
  }
  const Batch b = batch(n, 99, sample);
  for (const lower::StepGraph* step : {&eval, &predict}) {
    const auto expected = reference.run(step->graph, ref_vars, {&b.images, &b.labels}, {});
    const auto got = jit.run(step->graph, jit_vars, {&b.images, &b.labels}, {});
    const Tensor& want = expected.at("scores");
    const Tensor& have = got.at("scores");
    test::check_close(have, want, tol, "scores");
    const std::int64_t classes = static_cast<std::int64_t>(want.shape()[1]);
    for (std::int64_t r = 0; r < n; ++r) {  // identical predictions
      const float* w = want.data() + r * classes;
      const float* h = have.data() + r * classes;
      CHECK(std::max_element(w, w + classes) - w == std::max_element(h, h + classes) - h);
    }
  }
}

/// Model `index`'s training (or eval) step at batch 16.
lower::StepGraph step_graph(std::size_t index, lower::StepKind kind = lower::StepKind::Train) {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("jit_steps.tl", kScript, store);
  return lower::build_step(exp.models[index], 16, kind, &exp.steps[index].train);
}

/// `tlc --emit=fused` of that step.
std::string plan_text(std::size_t index, lower::StepKind kind = lower::StepKind::Train) {
  const lower::StepGraph step = step_graph(index, kind);
  return codegen::describe(codegen::plan_step(step.graph), step.graph);
}

}  // namespace

TEST_CASE("jit: training steps of a CNN with batchnorm, avgpool, same padding, strides and dropout") {
  for (int threads : {1, 2, 3}) check_training(0, 16, threads, 5);
  check_training(0, 7, 2, 2);  // a partial batch
}

TEST_CASE("jit: training steps of a residual model with SGD (nesterov) from logits") {
  for (int threads : {1, 2}) check_training(1, 16, threads, 5);
}

TEST_CASE("jit: training steps of the seed's CNN with plain SGD") {
  for (int threads : {1, 2}) check_training(2, 16, threads, 5);
}

TEST_CASE("jit: conv + relu + max pool fusions, tiled and not, with the pool's argmax") {
  // 8x8 -> conv 3x3 -> 6x6 (relu, stored for its gradient) -> pool 2 tiles
  // it: fused. The same-padded conv gives 3x3x20 (two channel vectors) and
  // pool 2 leaves a remainder while tanh's output must be stored: not fused.
  for (int threads : {1, 2}) check_training(3, 16, threads, 4);
}

TEST_CASE("jit: filter gradients of single-channel convs read from each pool window's pixels") {
  for (int threads : {1, 2}) check_training(7, 16, threads, 4);
  check_training(7, 5, 1, 2);  // a partial batch
}

TEST_CASE("jit: training steps of squeeze-and-excite (global average pool, multiply) with the hard and clipped activations") {
  for (int threads : {1, 2}) check_training(4, 16, threads, 5);
}

TEST_CASE("jit: training steps of a MobileNetV2-style inverted residual: depthwise convs, relu6, explicit padding") {
  for (int threads : {1, 2}) check_training(5, 16, threads, 5);
}

TEST_CASE("jit: batchnorm's sums join the passes that compute what they sum") {
  const std::string plan = plan_text(8);
  INFO(plan);
  std::istringstream lines(plan);
  int convs_summing = 0, grad_inputs_summing = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("kernel", 0) != 0) continue;
    std::size_t at = line.find_first_not_of(' ', 6);
    at = line.find(' ', at);  // after the kernel's number
    const std::string body = line.substr(at + 1);
    // No pass of its own for a channel sum or mean of a big tensor, nor for a
    // channel_spread that only feeds elementwise ops (the dense bias's sum
    // reads the loss gradient, which no Op kernel computes).
    CHECK_MESSAGE((body.rfind("channel_mean", 0) != 0), line);
    CHECK_MESSAGE((body.rfind("channel_spread", 0) != 0 || body.find("+ add") != std::string::npos), line);
    if (body.rfind("conv2d %", 0) == 0 && body.find("channel_mean") != std::string::npos) ++convs_summing;
    if (body.rfind("conv2d_grad_input", 0) == 0 && body.find("channel_sum") != std::string::npos) ++grad_inputs_summing;
  }
  CHECK(convs_summing == 3);
  CHECK(grad_inputs_summing == 2);
}

TEST_CASE("jit: an inference batchnorm, and the add and relu after it, run in its conv's epilogue") {
  // Its -mean and gamma / sqrt(var + eps) come from weights alone: their
  // kernels run first, so the conv's chain can take the nodes that read them.
  const std::string plan = plan_text(8, lower::StepKind::Eval);
  INFO(plan);
  std::istringstream lines(plan);
  int convs = 0, folded = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("kernel", 0) != 0) continue;
    const bool owner = line.find("conv2d") != std::string::npos || line.find("matmul") != std::string::npos;
    CHECK_MESSAGE((line.find("bias_add") == std::string::npos || owner), line);
    if (line.find("conv2d %") == std::string::npos) continue;
    ++convs;
    if (line.find("+ bias_add %") != std::string::npos && line.find("+ channel_mul %") != std::string::npos &&
        line.find("+ relu %") != std::string::npos)
      ++folded;
  }
  CHECK(convs == 3);
  CHECK(folded == 3);
  CHECK(plan.find("+ add %") != std::string::npos);  // the residual add too
}

TEST_CASE("jit: passes alike compile to one function, each given its own scratch") {
  // bn_residual's second and third convs (72 -> 72) are alike: one function
  // each for their forward passes, filter gradients and combines, called on
  // different buffers and scratch (check_training below runs them).
  const lower::StepGraph train = step_graph(8);
  const codegen::StepPlan plan = codegen::plan_step(train.graph);
  const std::string ir = codegen::optimised_ir(train.graph, {});
  auto defined = [&](const std::string& part) {
    int n = 0;
    std::istringstream lines(ir);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("define", 0) == 0 && line.find(part) != std::string::npos) ++n;
    return n;
  };
  int filter_passes = 0;
  for (const codegen::Pass& pass : plan.passes)
    for (ir::NodeId id : plan.kernels[static_cast<std::size_t>(pass.kernel)].nodes)
      if (train.graph.node(id).op == ir::OpKind::Conv2DGradFilter && !pass.combine) ++filter_passes;
  CHECK(filter_passes == 3);
  CHECK(defined("_conv2d_grad_filter(") == 2);
  CHECK(defined("_conv2d_grad_filter_combine(") == 2);
  CHECK(defined("") < static_cast<int>(plan.passes.size()));
}

TEST_CASE("jit: training steps of a residual block with batchnorm, its sums fused") {
  for (int threads : {1, 2}) check_training(8, 16, threads, 3);
  check_training(8, 7, 2, 2);  // a partial batch
}

TEST_CASE("jit: a max pool's gradient streams into the relu's gradient and the bias's sum") {
  const std::string plan = plan_text(9);
  INFO(plan);
  CHECK(plan.find("(by the argmax of %") != std::string::npos);
  CHECK(plan.find(") + relu_grad %") != std::string::npos);
  for (int threads : {1, 2}) check_training(9, 16, threads, 4);
  check_training(9, 7, 2, 2);  // a partial batch
}

TEST_CASE("jit: a partial batch runs the full batch's compiled step") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("jit_steps.tl", kScript, store);
  const check::ModelSpec& model = exp.models[2];
  const auto full = lower::build_step(model, 16, lower::StepKind::Train, &exp.steps[2].train);
  const auto partial = lower::build_step(model, 7, lower::StepKind::Train, &exp.steps[2].train);
  CHECK(codegen::compile_step(partial.graph) == codegen::compile_step(full.graph));
  check_training(2, 7, 2, 3);  // and the 7-row steps agree with the reference
}

TEST_CASE("jit: layers as wide as the batch keep the partial batch on the full batch's compiled step") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("jit_steps.tl", kScript, store);
  const check::ModelSpec& model = exp.models[6];
  for (const auto kind : {lower::StepKind::Train, lower::StepKind::Eval}) {
    const auto full = lower::build_step(model, 16, kind, &exp.steps[6].train);
    const auto partial = lower::build_step(model, 9, kind, &exp.steps[6].train);
    CHECK(codegen::compile_step(partial.graph) == codegen::compile_step(full.graph));
  }
  check_training(6, 16, 2, 2);
  check_training(6, 9, 2, 3);  // on the 16-row code: agrees with the reference
}

TEST_CASE("jit: batchnorm's statistics keep the partial batch on the full batch's compiled step") {
  // The mean's adjoint divides by the rows counted at run time
  // (channel_spread), not by a constant of the batch size.
  data::DataStore store;
  const check::Experiment exp = test::check_ok("jit_steps.tl", kScript, store);
  for (const std::size_t index : {std::size_t{0}, std::size_t{5}}) {
    const check::ModelSpec& model = exp.models[index];
    CAPTURE(model.name);
    const auto full = lower::build_step(model, 16, lower::StepKind::Train, &exp.steps[index].train);
    const auto partial = lower::build_step(model, 7, lower::StepKind::Train, &exp.steps[index].train);
    CHECK(codegen::compile_step(partial.graph) == codegen::compile_step(full.graph));
    check_training(index, 7, 2, 2);  // on the 16-row code: agrees with the reference
  }
}

TEST_CASE("jit: a run is bit-for-bit repeatable for a thread count") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("jit_steps.tl", kScript, store);
  const check::ModelSpec& model = exp.models[0];
  const lower::StepGraph train = lower::build_step(model, 16, lower::StepKind::Train, &exp.steps[0].train);
  auto run = [&] {
    exec::Variables vars = train::initialise(model, exp.seed).vars;
    exec::JitExecutor jit(2, 0);
    for (int s = 1; s <= 3; ++s) {
      const Batch b = batch(16, static_cast<std::uint64_t>(s));
      jit.run(train.graph, vars, {&b.images, &b.labels}, {5, static_cast<std::uint64_t>(s)});
    }
    return vars;
  };
  const exec::Variables first = run(), second = run();
  test::Tolerance exact;
  exact.exact = true;
  for (const auto& [name, t] : first.tensors) test::check_close(second.tensors.at(name), t, exact, name);
}

TEST_CASE("jit: compiled steps are cached by structure, not by graph object or names") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("jit_steps.tl", kScript, store);
  const check::ModelSpec& model = exp.models[2];
  const auto first = lower::build_step(model, 9, lower::StepKind::Train, &exp.steps[2].train);
  const auto again = lower::build_step(model, 9, lower::StepKind::Train, &exp.steps[2].train);
  exec::Variables vars = train::initialise(model, exp.seed).vars;
  exec::JitExecutor jit(1);
  const Batch b = batch(9, 1);
  jit.run(first.graph, vars, {&b.images, &b.labels}, {1, 1});
  const codegen::CompileStats before = codegen::compile_stats();
  jit.run(again.graph, vars, {&b.images, &b.labels}, {1, 2});
  exec::JitExecutor other(2);
  other.run(first.graph, vars, {&b.images, &b.labels}, {1, 3});
  const codegen::CompileStats after = codegen::compile_stats();
  CHECK(after.compiled == before.compiled);
  CHECK(after.reused == before.reused + 2);
}

namespace {

/// Stands in for the other processes: out = 0.5 in + 0.25 (as if another
/// process's mean were averaged in), noting each call's length and thread.
class FakeProcesses final : public exec::StepCollectives {
 public:
  void process_mean(const float* in, float* out, std::size_t n) noexcept override {
    lengths.push_back(n);
    threads.push_back(std::this_thread::get_id());
    for (std::size_t i = 0; i < n; ++i) out[i] = 0.5f * in[i] + 0.25f;
  }
  std::vector<std::size_t> lengths;
  std::vector<std::thread::id> threads;
};

}  // namespace

TEST_CASE("jit: a data-parallel step's process_means run on the calling thread between barriers") {
  // The gradient half of a data-parallel step (batchnorm's statistics
  // combined over the processes), JIT against the reference at 1-3 threads:
  // the same calls in the same (graph) order, all on the thread that runs
  // the step (MPI may be called from it only), results read after them.
  data::DataStore store;
  const check::Experiment exp = test::check_ok("jit_steps.tl", kScript, store);
  for (const std::size_t index : {std::size_t{0}, std::size_t{8}, std::size_t{10}}) {
    const check::ModelSpec& model = exp.models[index];
    CAPTURE(model.name);
    const lower::StepGraph step = lower::build_step(model, 16, lower::StepKind::Gradients, &exp.steps[index].train);
    std::vector<std::size_t> in_graph_order;
    for (const ir::Node& n : step.graph.nodes())
      if (n.op == ir::OpKind::ProcessMean) in_graph_order.push_back(static_cast<std::size_t>(ir::element_count(n.shape)));
    CHECK(in_graph_order.size() == (index == 8 ? 12u : 4u));  // mean and variance, forward and backward, per batchnorm
    const codegen::StepPlan plan = codegen::plan_step(step.graph);
    for (std::size_t p = 0; p < plan.passes.size(); ++p) {
      const codegen::Kernel& k = plan.kernels[static_cast<std::size_t>(plan.passes[p].kernel)];
      if (step.graph.node(k.nodes.front()).op != ir::OpKind::ProcessMean || plan.passes[p].combine) continue;
      CHECK(k.nodes.size() == 1);
      CHECK(plan.passes[p].barrier_before);
      REQUIRE(p + 1 < plan.passes.size());
      CHECK(plan.passes[p + 1].barrier_before);
    }
    const exec::Variables start = train::initialise(model, exp.seed).vars;
    const Batch b = batch(16, 5);
    exec::Variables ref_vars = start;
    FakeProcesses ref_fake;
    exec::StepContext ctx{11, 1};
    ctx.collectives = &ref_fake;
    exec::ReferenceExecutor reference;
    const auto expected = reference.run(step.graph, ref_vars, {&b.images, &b.labels}, ctx);
    CHECK(ref_fake.lengths == in_graph_order);
    for (int threads : {1, 2, 3}) {
      CAPTURE(threads);
      exec::Variables jit_vars = start;
      FakeProcesses fake;
      ctx.collectives = &fake;
      exec::JitExecutor jit(threads, 0);
      const auto got = jit.run(step.graph, jit_vars, {&b.images, &b.labels}, ctx);
      CHECK(fake.lengths == in_graph_order);
      for (const std::thread::id t : fake.threads) CHECK(t == std::this_thread::get_id());
      test::Tolerance tol;
      tol.exact = false;
      for (const auto& [name, t] : expected) test::check_close(got.at(name), t, tol, name);
      for (const auto& [name, t] : ref_vars.tensors) test::check_close(jit_vars.tensors.at(name), t, tol, name);
    }
  }
}
