// Optimizer semantics (compiler/ir/optimizer), their lowering
// (compiler/lower/append_updates) and the update kernels: one or
// two steps on a known gradient against the Keras formulas computed here in
// double, slot States created and committed, and frozen params untouched.
#include <doctest/doctest.h>

#include <cmath>

#include "compiler/autodiff/autodiff.hpp"
#include "compiler/lower/append_updates.hpp"
#include "tests/unit/graph_test_support.hpp"

namespace {

using namespace tl;
using ir::OpKind;
using ir::OptimizerSpec;

const std::vector<double> kParam{1.0, -2.0, 0.5};
const std::vector<double> kGrad{0.5, -0.1, 0.0};

/// A graph with Param "w" and a given gradient (Param "given_grad"), lowered
/// with `opt`. The update's value is output "new_w", the old value "old_w".
struct UpdateCase {
  test::GraphCase c;
  ir::NodeId w;

  explicit UpdateCase(const OptimizerSpec& opt) {
    w = c.param("w", test::make_tensor({3}, {1.0f, -2.0f, 0.5f}));
    const ir::NodeId g = c.param("given_grad", test::make_tensor({3}, {0.5f, -0.1f, 0.0f}));
    lower::append_updates(c.graph, autodiff::Gradients{{{w, g}}}, opt);
    ir::verify(c.graph);
    REQUIRE(c.graph.effects().size() == 1);
    c.graph.set_output("old_w", w);
    c.graph.set_output("new_w", c.graph.effects()[0]);
  }
  std::unordered_map<std::string, Tensor> step(std::uint64_t t) { return c.run(exec::StepContext{0, t}); }
  const Tensor& var(const std::string& name) const { return c.vars.tensors.at(name); }
};

void check_close(const Tensor& t, const std::vector<double>& expected) {
  REQUIRE(t.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(t.data()[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  }
}

}  // namespace

TEST_CASE("Adam follows the Keras update for two steps") {
  const OptimizerSpec adam;  // lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7
  UpdateCase u(adam);
  const ir::NodeId m = u.c.graph.find_variable("w/adam_m");
  const ir::NodeId v = u.c.graph.find_variable("w/adam_v");
  REQUIRE(m >= 0);
  REQUIRE(v >= 0);
  CHECK(u.c.graph.node(m).op == OpKind::State);
  CHECK(u.c.graph.node(v).shape == ir::Shape{3});
  const ir::Node& update = u.c.graph.node(u.c.graph.effects()[0]);
  CHECK(update.op == OpKind::AdamUpdate);
  CHECK(update.inputs == std::vector<ir::NodeId>{u.w, update.inputs[1], m, v});

  std::vector<double> p = kParam, mm(3, 0.0), vv(3, 0.0);
  for (std::uint64_t t = 1; t <= 2; ++t) {
    const double lr_t = 1e-3 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    const std::vector<double> before = p;
    for (std::size_t i = 0; i < 3; ++i) {
      mm[i] = 0.9 * mm[i] + 0.1 * kGrad[i];
      vv[i] = 0.999 * vv[i] + 0.001 * kGrad[i] * kGrad[i];
      p[i] -= lr_t * mm[i] / (std::sqrt(vv[i]) + 1e-7);
    }
    const auto out = u.step(t);
    check_close(out.at("old_w"), before);  // reads within a step see the old value
    check_close(out.at("new_w"), p);
    check_close(u.var("w"), p);
    check_close(u.var("w/adam_m"), mm);
    check_close(u.var("w/adam_v"), vv);
  }
  // The first Adam step moves every param with a nonzero gradient by about lr.
  CHECK(std::abs(p[0] - kParam[0]) > 1.9e-3);
}

TEST_CASE("SGD with momentum, with and without nesterov") {
  for (const bool nesterov : {false, true}) {
    CAPTURE(nesterov);
    OptimizerSpec sgd;
    sgd.kind = OptimizerSpec::Kind::Sgd;
    sgd.lr = 0.1;
    sgd.momentum = 0.9;
    sgd.nesterov = nesterov;
    UpdateCase u(sgd);
    REQUIRE(u.c.graph.find_variable("w/momentum") >= 0);
    CHECK(u.c.graph.find_variable("w/adam_m") == -1);
    std::vector<double> p = kParam, vel(3, 0.0);
    for (std::uint64_t t = 1; t <= 2; ++t) {
      for (std::size_t i = 0; i < 3; ++i) {
        vel[i] = 0.9 * vel[i] - 0.1 * kGrad[i];
        p[i] += nesterov ? 0.9 * vel[i] - 0.1 * kGrad[i] : vel[i];
      }
      u.step(t);
      check_close(u.var("w"), p);
      check_close(u.var("w/momentum"), vel);
    }
  }
}

TEST_CASE("plain SGD keeps no state") {
  OptimizerSpec sgd;
  sgd.kind = OptimizerSpec::Kind::Sgd;
  sgd.lr = 0.1;
  UpdateCase u(sgd);
  for (const ir::Node& n : u.c.graph.nodes()) CHECK(n.op != OpKind::State);
  u.step(1);
  check_close(u.var("w"), {1.0 - 0.05, -2.0 + 0.01, 0.5});
  CHECK(u.c.vars.tensors.size() == 2);  // w and given_grad only
}

TEST_CASE("a train step updates trainable params only and lowers the loss") {
  // x (4,3) -> frozen (3,4) -> tanh -> trainable (4,2) + bias -> softmax_xent.
  test::GraphCase c;
  const ir::NodeId x = c.param("x", test::random_tensor({4, 3}, 1));
  const ir::NodeId frozen = c.param("body/kernel", test::random_tensor({3, 4}, 2));
  const ir::NodeId head = c.param("head/kernel", test::random_tensor({4, 2}, 3));
  const ir::NodeId bias = c.param("head/bias", test::random_tensor({2}, 4));
  const ir::NodeId hidden = c.add(OpKind::Tanh, {c.add(OpKind::MatMul, {x, frozen})});
  const ir::NodeId logits = c.add(OpKind::BiasAdd, {c.add(OpKind::MatMul, {hidden, head}), bias});
  const ir::NodeId loss = c.add(OpKind::SoftmaxXent, {logits, c.labels_input(test::make_tensor({4}, {0, 1, 1, 0}))});
  c.graph.set_output("loss", loss);
  OptimizerSpec adam;
  adam.lr = 0.05;
  lower::append_updates(c.graph, autodiff::differentiate(c.graph, loss, {head, bias}), adam);
  ir::verify(c.graph);
  CHECK(c.graph.effects().size() == 2);
  CHECK(c.graph.find_variable("body/kernel/adam_m") == -1);

  const Tensor frozen_before = c.vars.tensors.at("body/kernel");
  const Tensor head_before = c.vars.tensors.at("head/kernel");
  const float first = c.run(exec::StepContext{0, 1}).at("loss")();
  float last = first;
  for (std::uint64_t t = 2; t <= 20; ++t) last = c.run(exec::StepContext{0, t}).at("loss")();
  CHECK(last < first);
  CHECK(c.vars.tensors.at("body/kernel") == frozen_before);
  CHECK(c.vars.tensors.at("head/kernel") != head_before);
  CHECK(c.vars.tensors.count("body/kernel/adam_v") == 0);
  CHECK(c.vars.tensors.count("head/kernel/adam_v") == 1);
}

TEST_CASE("each optimizer's form, slots and step scalar come from one place") {
  OptimizerSpec adam;
  const ir::UpdateForm a = ir::update_form(adam);
  CHECK(a.op == OpKind::AdamUpdate);
  CHECK(a.slots == std::vector<std::string>{"adam_m", "adam_v"});
  CHECK(ir::slot_count(a.op) == 2);
  CHECK(ir::takes_step_scalar(a.op));
  // lr_t at t = 1: lr * sqrt(1 - b2) / (1 - b1).
  CHECK(ir::step_scalar(a.op, a.attrs, 1) == doctest::Approx(1e-3 * std::sqrt(1 - 0.999) / (1 - 0.9)));
  // A schedule's factor scales the learning rate, rounded once.
  CHECK(ir::step_scalar(a.op, a.attrs, 1, 0.5) == static_cast<float>(0.5e-3 * std::sqrt(1 - 0.999) / (1 - 0.9)));
  OptimizerSpec sgd;
  sgd.kind = OptimizerSpec::Kind::Sgd;
  CHECK(ir::update_form(sgd).slots == std::vector<std::string>{""});  // plain SGD keeps no velocity
  sgd.momentum = 0.9;
  CHECK(ir::update_form(sgd).slots == std::vector<std::string>{"momentum"});
  CHECK(ir::takes_step_scalar(OpKind::SgdUpdate));  // SGD's scalar is its (scheduled) learning rate
  const ir::UpdateForm s = ir::update_form(sgd);
  CHECK(ir::step_scalar(s.op, s.attrs, 7, 0.25) == static_cast<float>(sgd.lr * 0.25));
  CHECK_FALSE(ir::takes_step_scalar(OpKind::MovingAverage));
  CHECK(ir::slot_count(OpKind::MovingAverage) == 0);
  CHECK(ir::slot_count(OpKind::Add) == 0);
  CHECK(ir::is_optimizer_slot("dense/kernel/adam_m"));
  CHECK(ir::is_optimizer_slot("conv/bias/momentum"));
  CHECK_FALSE(ir::is_optimizer_slot("bn/moving_mean"));
  CHECK_FALSE(ir::is_optimizer_slot("adam_m"));
}
