// Images fed as bytes: the JIT maps pixels (float(byte) * scale + offset)
// inside the kernels that read them (the pixel map fused into the first
// layer's load), and the reference widens them the way data::gather does. Either way the step must compute on
// exactly the floats of a float feed: every output and variable after
// several training steps is bit-identical to the float-fed run of the same
// executor, for every kind of first layer (conv with and without padding and
// strides, its fused max pool, dense after flatten, batchnorm, pools), with
// a scale only (`scale 1/255`) and with an offset too (`normalize`).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "compiler/codegen/compile.hpp"
#include "compiler/lower/step_graph.hpp"
#include "runtime/data/dataset.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"
#include "compiler/ir/philox.hpp"
#include "runtime/train/model_state.hpp"
#include "tests/unit/fixtures.hpp"
#include "tests/unit/test_jit_support.hpp"

namespace {

using namespace tl;

const char* kScript = R"(
seed 5
tiny = idx("tiny")
data = tiny.train | scale 1/255
model conv_pool(classes) {
  input(8, 8, 1)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}
model strided_same(classes) {
  input(8, 8, 1)
  conv2d(6, 3x3, strides = 2, padding = same, activation = relu)
  flatten()
  dense(classes, softmax)
}
model dense_first(classes) {
  input(8, 8, 1)
  flatten()
  dense(12, tanh)
  dense(classes, softmax)
}
model dense_wide(classes) {
  input(8, 8, 1)
  flatten()
  dense(70, relu)
  dense(classes, softmax)
}
model batchnorm_first(classes) {
  input(8, 8, 1)
  batchnorm()
  conv2d(4, 3x3, activation = relu)
  global_maxpool2d()
  dense(classes, softmax)
}
model pools_first(classes) {
  input(8, 8, 1)
  maxpool2d(3, strides = 1, padding = same)
  avgpool2d(2)
  flatten()
  dense(classes, softmax)
}
a = conv_pool(5)
b = strided_same(5)
c = dense_first(5)
d = batchnorm_first(5)
e = pools_first(5)
f = dense_wide(5)
train a on data { epochs 1  batch 16 }
train b on data { epochs 1  batch 16 }
train c on data { epochs 1  batch 16  optimizer sgd(lr = 0.1, momentum = 0.9) }
train d on data { epochs 1  batch 16 }
train e on data { epochs 1  batch 16 }
train f on data { epochs 1  batch 16 }
)";

/// Pixel maps to feed: `scale 1/255`, and `scale 1/255 | normalize mean
/// 0.1307 std 0.3081` as data::normalize_pixels folds it.
using data::PixelMap;
const PixelMap kMaps[] = {{1.0 / 255, 0.0}, {1.0 / 255 / 0.3081, -0.1307 / 0.3081}};

/// A batch of n random 8x8x1 byte images, the same as floats, and labels.
struct ByteBatch {
  std::vector<std::uint8_t> bytes;
  exec::ImageBytes fed;
  Tensor floats, labels;
};

ByteBatch byte_batch(std::size_t n, std::uint64_t stream, PixelMap map = kMaps[0]) {
  ByteBatch b;
  b.bytes.resize(n * 64);
  for (std::size_t i = 0; i < b.bytes.size(); ++i)
    b.bytes[i] = static_cast<std::uint8_t>(rng::below(9, stream, 0, static_cast<std::uint32_t>(i), 256));
  const float scale = map.float_scale(), offset = map.float_offset();
  b.fed = {b.bytes.data(), {n, 8, 8, 1}, scale, offset};
  b.floats = Tensor::from_shape({n, 8, 8, 1});
  for (std::size_t i = 0; i < b.bytes.size(); ++i) b.floats.data()[i] = static_cast<float>(b.bytes[i]) * scale + offset;
  b.labels = Tensor::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) b.labels.data()[i] = static_cast<float>((i * 3 + stream) % 5);
  return b;
}

void check_identical(const exec::Variables& got, const exec::Variables& want) {
  test::Tolerance exact;
  exact.exact = true;
  REQUIRE(got.tensors.size() == want.tensors.size());
  for (const auto& [name, t] : want.tensors) test::check_close(got.tensors.at(name), t, exact, name);
}

/// Trains model `index` for 3 steps twice on `executor`-like pairs (one fed
/// floats, one fed bytes), then evaluates; everything must be bit-identical.
template <class MakeExecutor>
void check_byte_feed(std::size_t index, std::size_t n, PixelMap map, MakeExecutor make) {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("byte_feeds.tl", kScript, store);
  const check::ModelSpec& model = exp.models[index];
  CAPTURE(model.name);
  CAPTURE(map.offset);
  const auto train = lower::build_step(model, static_cast<std::int64_t>(n), lower::StepKind::Train, &exp.steps[index].train);
  const auto eval = lower::build_step(model, static_cast<std::int64_t>(n), lower::StepKind::Eval, &exp.steps[index].train);
  exec::Variables float_vars = train::initialise(model, exp.seed).vars, byte_vars = float_vars;
  auto float_run = make();
  auto byte_run = make();
  test::Tolerance exact;
  exact.exact = true;
  for (std::uint64_t s = 1; s <= 3; ++s) {
    const ByteBatch b = byte_batch(n, s, map);
    const exec::StepContext ctx{13, s};
    const auto want = float_run->run(train.graph, float_vars, {&b.floats, &b.labels}, ctx);
    exec::Feeds feeds{nullptr, &b.labels, &b.fed};
    const auto got = byte_run->run(train.graph, byte_vars, feeds, ctx);
    test::check_close(got.at("loss"), want.at("loss"), exact, "loss");
    check_identical(byte_vars, float_vars);
  }
  const ByteBatch b = byte_batch(n, 77, map);
  const auto want = float_run->run(eval.graph, float_vars, {&b.floats, &b.labels}, {});
  const auto got = byte_run->run(eval.graph, byte_vars, exec::Feeds{nullptr, &b.labels, &b.fed}, {});
  test::check_close(got.at("scores"), want.at("scores"), exact, "scores");
}

}  // namespace

TEST_CASE("byte feeds: the JIT maps pixels as it loads them, bit-identical to float feeds") {
  for (const PixelMap& map : kMaps)
    for (std::size_t index = 0; index < 6; ++index)
      for (int threads : {1, 2}) {
        CAPTURE(threads);
        check_byte_feed(index, 16, map, [&] { return std::make_unique<exec::JitExecutor>(threads, 0); });
        check_byte_feed(index, 7, map, [&] { return std::make_unique<exec::JitExecutor>(threads, 0); });  // partial
      }
}

TEST_CASE("byte feeds: the reference widens bytes as data::gather does") {
  for (const PixelMap& map : kMaps)
    for (std::size_t index = 0; index < 6; ++index)
      check_byte_feed(index, 16, map, [] { return std::make_unique<exec::ReferenceExecutor>(); });
}

TEST_CASE("byte feeds: the JIT and the reference agree on byte-fed training") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("byte_feeds.tl", kScript, store);
  const check::ModelSpec& model = exp.models[0];
  const auto train = lower::build_step(model, 16, lower::StepKind::Train, &exp.steps[0].train);
  exec::Variables ref_vars = train::initialise(model, exp.seed).vars, jit_vars = ref_vars;
  exec::ReferenceExecutor reference;
  exec::JitExecutor jit(1, 0);
  test::Tolerance tol;
  for (std::uint64_t s = 1; s <= 3; ++s) {
    const ByteBatch b = byte_batch(16, s, kMaps[s % 2]);
    const exec::Feeds feeds{nullptr, &b.labels, &b.fed};
    const auto want = reference.run(train.graph, ref_vars, feeds, {13, s});
    const auto got = jit.run(train.graph, jit_vars, feeds, {13, s});
    test::check_close(got.at("loss"), want.at("loss"), tol, "loss");
    for (const auto& [name, t] : ref_vars.tensors) test::check_close(jit_vars.tensors.at(name), t, tol, name);
  }
}

TEST_CASE("byte feeds: the plan says which kernels read bytes, and shapes are checked") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("byte_feeds.tl", kScript, store);
  const auto train = lower::build_step(exp.models[0], 16, lower::StepKind::Train, &exp.steps[0].train);
  const codegen::StepPlan plan = codegen::plan_step(train.graph, {true});
  CHECK(plan.byte_leaf >= 0);
  CHECK(plan.image_scale >= 0);
  CHECK(plan.image_offset >= 0);
  CHECK(plan.image_offset != plan.image_scale);
  CHECK(codegen::describe(plan, train.graph).find("fed as bytes") != std::string::npos);
  CHECK(codegen::plan_step(train.graph).byte_leaf == -1);
  // The bytes are widened inside the kernels (no float copy of the batch).
  CHECK(codegen::optimised_ir(train.graph, {true}).find("uitofp") != std::string::npos);
  CHECK(codegen::optimised_ir(train.graph, {false}).find("uitofp") == std::string::npos);
  // Float and byte feeds compile to different steps.
  CHECK(codegen::compile_step(train.graph, {true}) != codegen::compile_step(train.graph, {false}));

  ByteBatch wrong = byte_batch(16, 1);
  wrong.fed.shape = {16, 8, 8, 3};
  exec::Variables vars = train::initialise(exp.models[0], exp.seed).vars;
  exec::JitExecutor jit(1, 0);
  exec::ReferenceExecutor reference;
  std::string jit_error, reference_error;
  try {
    jit.run(train.graph, vars, exec::Feeds{nullptr, &wrong.labels, &wrong.fed}, {1, 1});
  } catch (const std::runtime_error& e) {
    jit_error = e.what();
  }
  try {
    reference.run(train.graph, vars, exec::Feeds{nullptr, &wrong.labels, &wrong.fed}, {1, 1});
  } catch (const std::runtime_error& e) {
    reference_error = e.what();
  }
  CHECK(jit_error.find("has shape (16,8,8,3)") != std::string::npos);
  CHECK(jit_error == reference_error);
}
