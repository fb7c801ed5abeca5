// The backward sweep's structure (not its numbers, which test_autodiff_rules
// checks): pruning of frozen params and inputs, names and origins of gradient
// nodes, accumulation, and refusal to differentiate through gradient ops.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>

#include "compiler/autodiff/autodiff.hpp"
#include "tests/unit/graph_test_support.hpp"

namespace {

using namespace tl;
using ir::NodeId;
using ir::OpKind;

bool has_node(const ir::Graph& g, std::size_t from, auto pred) {
  for (std::size_t i = from; i < g.size(); ++i)
    if (pred(g.node(static_cast<NodeId>(i)))) return true;
  return false;
}

/// The seed's model shape: images -> conv -> maxpool -> flatten -> dense ->
/// relu -> dense -> softmax_xent. Params: conv/kernel, conv/bias, dense/kernel,
/// dense/bias, head/kernel, head/bias.
struct SeedModel {
  test::GraphCase c;
  NodeId images, conv_k, conv_b, dense_k, dense_b, head_k, head_b, loss;
  std::size_t forward_size;

  SeedModel() {
    ir::Node in{OpKind::Input, {}, {2, 6, 6, 1}, {}, "images", {}};
    images = c.graph.add(in);
    conv_k = c.param("conv/kernel", test::random_tensor({3, 3, 1, 2}, 1));
    conv_b = c.param("conv/bias", test::random_tensor({2}, 2));
    dense_k = c.param("dense/kernel", test::random_tensor({8, 5}, 3));
    dense_b = c.param("dense/bias", test::random_tensor({5}, 4));
    head_k = c.param("head/kernel", test::random_tensor({5, 3}, 5));
    head_b = c.param("head/bias", test::random_tensor({3}, 6));
    const NodeId conv = c.add(OpKind::BiasAdd, {c.add(OpKind::Conv2D, {images, conv_k}), conv_b});
    ir::Attrs pool;
    pool.window_h = pool.window_w = pool.stride_h = pool.stride_w = 2;
    const NodeId flat = c.add(OpKind::Reshape, {c.add(OpKind::MaxPool2D, {conv}, pool)}, {}, {2, 8});
    const NodeId hidden = c.add(OpKind::Relu, {c.add(OpKind::BiasAdd, {c.add(OpKind::MatMul, {flat, dense_k}), dense_b})});
    const NodeId logits = c.add(OpKind::BiasAdd, {c.add(OpKind::MatMul, {hidden, head_k}), head_b});
    ir::Node origin_loss{OpKind::SoftmaxXent, {logits, c.labels_input(test::make_tensor({2}, {1, 2}))}, {}, {}, "loss", {12, 3}};
    loss = c.graph.add(origin_loss);
    forward_size = c.graph.size();
  }
};

}  // namespace

TEST_CASE("frozen params and inputs get no gradient nodes") {
  SeedModel m;
  const auto grads = autodiff::differentiate(m.c.graph, m.loss, {m.dense_k, m.dense_b, m.head_k, m.head_b});
  CHECK_NOTHROW(ir::verify(m.c.graph));
  REQUIRE(grads.params.size() == 4);
  CHECK(m.c.graph.node(grads.params[0].second).name == "grad/dense/kernel");
  CHECK(m.c.graph.node(grads.params[3].second).name == "grad/head/bias");
  const ir::Graph& g = m.c.graph;
  // Nothing below the lowest trainable layer: no conv or pool gradient at all,
  // no gradient of the flattened features, images or labels.
  CHECK_FALSE(has_node(g, m.forward_size, [](const ir::Node& n) {
    return n.op == OpKind::Conv2DGradInput || n.op == OpKind::Conv2DGradFilter || n.op == OpKind::MaxPool2DGrad;
  }));
  for (const char* name : {"grad/images", "grad/labels", "grad/conv/kernel", "grad/conv/bias", "grad/reshape"}) {
    CAPTURE(name);
    CHECK_FALSE(has_node(g, m.forward_size, [&](const ir::Node& n) { return n.name == name; }));
  }
}

TEST_CASE("training everything still never differentiates the images") {
  SeedModel m;
  const auto grads =
      autodiff::differentiate(m.c.graph, m.loss, {m.conv_k, m.conv_b, m.dense_k, m.dense_b, m.head_k, m.head_b});
  CHECK(grads.params.size() == 6);
  CHECK(has_node(m.c.graph, m.forward_size, [](const ir::Node& n) { return n.op == OpKind::Conv2DGradFilter; }));
  CHECK_FALSE(has_node(m.c.graph, m.forward_size, [](const ir::Node& n) { return n.op == OpKind::Conv2DGradInput; }));
}

TEST_CASE("a param below a frozen layer is differentiated only if it is in wrt") {
  SeedModel m;
  SUBCASE("frozen dense/kernel between two trainable layers") {
    const auto grads = autodiff::differentiate(m.c.graph, m.loss, {m.conv_k, m.head_k});
    REQUIRE(grads.params.size() == 2);
    CHECK(grads.params[0].first == m.conv_k);
    // The gradient flows through dense's matmul to its input, not to its kernel.
    CHECK_FALSE(has_node(m.c.graph, m.forward_size, [](const ir::Node& n) { return n.name == "grad/dense/kernel"; }));
    CHECK_FALSE(has_node(m.c.graph, m.forward_size, [](const ir::Node& n) { return n.name == "grad/dense/bias"; }));
  }
  SUBCASE("only the head") {
    autodiff::differentiate(m.c.graph, m.loss, {m.head_k});
    CHECK_FALSE(has_node(m.c.graph, m.forward_size, [](const ir::Node& n) { return n.op == OpKind::ReluGrad; }));
  }
}

TEST_CASE("gradient nodes carry the forward node's origin") {
  SeedModel m;
  autodiff::differentiate(m.c.graph, m.loss, {m.head_b});
  const ir::Node& seed = m.c.graph.node(static_cast<NodeId>(m.forward_size));
  CHECK(seed.op == OpKind::Fill);
  CHECK(seed.shape.empty());
  CHECK(seed.attrs.value == 1.0);
  CHECK(seed.origin.line == 12);
  const ir::Node& xent_grad = m.c.graph.node(static_cast<NodeId>(m.forward_size + 1));
  CHECK(xent_grad.op == OpKind::SoftmaxXentGrad);
  CHECK(xent_grad.origin.line == 12);
  CHECK(xent_grad.origin.column == 3);
}

TEST_CASE("contributions from several uses are summed with Add") {
  // loss = sum(w * (x * x + x)): x is used three times, d/dx = w * (2x + 1).
  test::GraphCase c;
  const NodeId x = c.param("x", test::random_tensor({5}, 9));
  const NodeId y = c.add(OpKind::Add, {c.add(OpKind::Mul, {x, x}), x});
  const std::size_t before = c.graph.size();
  const NodeId loss = c.weighted_sum(y);
  const auto grads = autodiff::differentiate(c.graph, loss, {x});
  REQUIRE(grads.params.size() == 1);
  const ir::Node& grad = c.graph.node(grads.params[0].second);
  CHECK(grad.op == OpKind::Add);
  CHECK(grad.name == "grad/x");
  c.graph.set_output("grad", grads.params[0].second);
  const auto out = c.run();
  const Tensor& xs = c.vars.tensors.at("x");
  const Tensor& ws = c.vars.tensors.at("loss_weights");
  for (std::size_t i = 0; i < 5; ++i) CHECK(out.at("grad").data()[i] == doctest::Approx(ws.data()[i] * (2 * xs.data()[i] + 1)));
  CHECK(before < c.graph.size());
}

TEST_CASE("a wrt node the loss ignores is left out") {
  test::GraphCase c;
  const NodeId x = c.param("x", test::random_tensor({3}, 1));
  const NodeId unused = c.param("unused", test::random_tensor({3}, 2));
  const auto grads = autodiff::differentiate(c.graph, c.weighted_sum(x), {x, unused});
  REQUIRE(grads.params.size() == 1);
  CHECK(grads.params[0].first == x);
}

TEST_CASE("differentiate refuses what it cannot differentiate") {
  test::GraphCase c;
  const NodeId x = c.param("x", test::random_tensor({3}, 1));
  SUBCASE("through a gradient op") {
    const NodeId r = c.add(OpKind::ReluGrad, {x, x});
    CHECK_THROWS_AS(autodiff::differentiate(c.graph, c.weighted_sum(r), {x}), std::logic_error);
  }
  SUBCASE("a non-scalar loss") { CHECK_THROWS_AS(autodiff::differentiate(c.graph, x, {x}), std::logic_error); }
}
