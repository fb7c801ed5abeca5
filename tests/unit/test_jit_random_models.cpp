// Random models, JIT against the reference: a generator writes valid `.tl`
// model definitions from a seed (stacks of conv2d with random filters,
// kernels, strides, padding and activations, residual joins, max and average
// pools, batchnorm, activations, then flatten or a global pool, dense layers,
// dropout and a softmax or logits head) with a random optimizer, batch and
// thread count. Each is checked by the real checker, lowered, and trained on
// both executors; outputs and variables must agree within 1e-5 relative, and
// the trained eval step must give the same scores. A failure prints the
// generated script.
//
// With SGD every variable is compared after three steps. Adam divides each
// gradient by its own magnitude, so a gradient that is zero in exact
// arithmetic (the beta of a batchnorm followed by another batchnorm) but
// rounding noise in float moves its weight by a full learning rate in a
// random direction on either executor. So Adam runs one step, and the
// comparison covers the outputs and the optimizer's moments (the gradient and
// its square, where such noise is below 1e-6) rather than the weights; the
// Adam update itself is compared op by op in test_jit_ops.cpp.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "compiler/lower/step_graph.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"
#include "compiler/ir/philox.hpp"
#include "runtime/train/model_state.hpp"
#include "tests/unit/fixtures.hpp"
#include "tests/unit/graph_test_support.hpp"
#include "tests/unit/test_jit_support.hpp"

namespace {

using namespace tl;

/// Draws from Philox: the models depend only on the seed.
struct Draw {
  std::uint64_t seed;
  std::uint32_t n = 0;
  /// Uniform in [lo, hi].
  int in(int lo, int hi) {
    return lo + static_cast<int>(rng::below(seed, rng::stream_of("random models"), 0, n++,
                                            static_cast<std::uint64_t>(hi - lo + 1)));
  }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) { return items[in(0, static_cast<int>(N) - 1)]; }
};

const char* const kActivations[] = {"relu", "tanh", "sigmoid", "linear", "leaky_relu(0.1)", "gelu"};

/// Output size of a window op over `in` cells.
int window_out(int in, int k, int s, bool same) { return same ? (in + s - 1) / s : (in - k) / s + 1; }

struct Generated {
  std::string script;
  int threads;
  std::int64_t batch;
  bool adam;
};

/// One random model on 8x8x1 inputs (the `tiny` fixture), trained on it.
Generated generate(std::uint64_t seed) {
  Draw d{seed};
  std::string body = "  input(8, 8, 1)\n";
  int size = 8;  // spatial extent, square
  const int spatial = d.in(0, 3);
  for (int i = 0; i < spatial; ++i) {
    switch (d.in(0, 5)) {
      case 0: {  // conv2d
        const int k = std::min(d.in(1, 3), size), s = d.in(1, 2);
        const bool same = d.in(0, 1) == 1;
        body += fmt::format("  conv2d({}, {}x{}, strides = {}, padding = {}, activation = {})\n", d.in(1, 12), k, k, s,
                            same ? "same" : "valid", d.pick(kActivations));
        size = window_out(size, k, s, same);
        break;
      }
      case 1: {  // residual join of two same-padded convs
        const int filters = d.in(1, 8);
        body += fmt::format("  stem{0}: conv2d({1}, 3x3, padding = same, activation = {2})\n"
                            "  branch{0}: conv2d({1}, 3x3, padding = same)\n"
                            "  add(stem{0}, branch{0})\n",
                            i, filters, d.pick(kActivations));
        break;
      }
      case 2:
      case 3: {  // max or average pool
        if (size < 2) break;
        const int k = d.in(2, std::min(3, size)), s = d.in(1, k);
        const bool same = d.in(0, 1) == 1;
        body += fmt::format("  {}({}, strides = {}, padding = {})\n", d.in(0, 1) ? "maxpool2d" : "avgpool2d", k, s,
                            same ? "same" : "valid");
        size = window_out(size, k, s, same);
        break;
      }
      case 4: body += "  batchnorm()\n"; break;
      case 5: body += fmt::format("  activation({})\n", d.pick(kActivations)); break;
    }
  }
  body += d.in(0, 2) == 0 ? "  global_maxpool2d()\n" : "  flatten()\n";
  const int dense = d.in(0, 2);
  for (int i = 0; i < dense; ++i) {
    body += fmt::format("  dense({}, {})\n", d.in(2, 16), d.pick(kActivations));
    if (d.in(0, 1)) body += fmt::format("  dropout(0.{})\n", d.in(1, 5));
  }
  const bool logits = d.in(0, 1) == 1;
  body += logits ? "  dense(classes)\n" : "  dense(classes, softmax)\n";

  const bool adam = d.in(0, 2) == 0;
  const std::string optimizer = adam ? fmt::format("adam(lr = 0.0{})", d.in(1, 9))
                                     : fmt::format("sgd(lr = 0.0{}, momentum = 0.{}, nesterov = {})", d.in(1, 9),
                                                   d.in(0, 9), d.in(0, 1) ? "true" : "false");
  const std::int64_t batch = d.in(3, 16);
  Generated g;
  g.adam = adam;
  g.threads = d.in(1, 2);
  g.batch = batch;
  g.script = fmt::format(
      "seed {}\ntiny = idx(\"tiny\")\ndata = tiny.train | scale 1/255\n"
      "model random(classes) {{\n{}}}\nnet = random(5)\n"
      "train net on data {{ epochs 1  batch {}  optimizer {}  loss sparse_categorical_crossentropy{} }}\n",
      seed, body, batch, optimizer, logits ? "(from_logits = true)" : "");
  return g;
}

void check_random_model(std::uint64_t seed) {
  const Generated g = generate(seed);
  INFO("generated script (seed ", seed, ", ", g.threads, " threads):\n", g.script);
  data::DataStore store;
  const check::Experiment exp = test::check_ok("random.tl", g.script, store);
  const check::ModelSpec& model = exp.models.front();
  const check::TrainConfig& config = exp.steps.back().train;
  const auto train = lower::build_step(model, g.batch, lower::StepKind::Train, &config);
  const auto eval = lower::build_step(model, g.batch, lower::StepKind::Eval, &config);
  exec::Variables ref_vars = train::initialise(model, exp.seed).vars, jit_vars = ref_vars;
  exec::ReferenceExecutor reference;
  exec::JitExecutor jit(g.threads, 0);
  test::Tolerance tol;
  const auto n = static_cast<std::size_t>(g.batch);
  const std::uint64_t steps = g.adam ? 1 : 3;
  auto compared = [&](const std::string& name) {
    if (!g.adam) return true;
    for (const check::Layer& layer : model.layers)
      for (const check::ParamSpec& p : layer.params)
        if (p.trainable && check::ModelSpec::tensor_name(layer, p) == name) return false;
    return true;  // with Adam: moments and statistics, not weights
  };
  for (std::uint64_t s = 1; s <= steps; ++s) {
    const Tensor images = test::random_tensor({g.batch, 8, 8, 1}, seed * 100 + s, 0, 1);
    Tensor labels = Tensor::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) labels.data()[i] = static_cast<float>((i + s) % 5);
    const exec::StepContext ctx{seed, s};
    const auto want = reference.run(train.graph, ref_vars, {&images, &labels}, ctx);
    const auto got = jit.run(train.graph, jit_vars, {&images, &labels}, ctx);
    test::check_close(got.at("loss"), want.at("loss"), tol, fmt::format("loss at step {}", s));
    CHECK(got.at("correct")() == want.at("correct")());
    REQUIRE(jit_vars.tensors.size() == ref_vars.tensors.size());
    for (const auto& [name, t] : ref_vars.tensors)
      if (compared(name)) test::check_close(jit_vars.tensors.at(name), t, tol, name);
  }
  if (g.adam) jit_vars = ref_vars;  // the same weights for the eval comparison
  const Tensor images = test::random_tensor({g.batch, 8, 8, 1}, seed * 100 + 99, 0, 1);
  Tensor labels = Tensor::from_shape({n});
  labels.fill(0.0f);
  const auto want = reference.run(eval.graph, ref_vars, {&images, &labels}, {});
  const auto got = jit.run(eval.graph, jit_vars, {&images, &labels}, {});
  test::check_close(got.at("scores"), want.at("scores"), tol, "scores");
}

}  // namespace

TEST_CASE("jit: random models train as the reference does") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    CAPTURE(seed);
    check_random_model(seed);
  }
}
