// The graph IR: shape rules, window geometry, the builder's checks, verify()
// and the textual dump.
#include <doctest/doctest.h>

#include <stdexcept>

#include "compiler/ir/graph.hpp"

namespace {

using namespace tl::ir;

Node leaf(OpKind op, Shape shape, std::string name) { return {op, {}, std::move(shape), {}, std::move(name), {}}; }

Node op_node(OpKind op, std::vector<NodeId> inputs, Attrs attrs = {}, std::string name = {}) {
  return {op, std::move(inputs), {}, attrs, std::move(name), {}};
}

Attrs pool(int k, int s, Padding p) {
  Attrs a;
  a.window_h = a.window_w = k;
  a.stride_h = a.stride_w = s;
  a.padding = p;
  return a;
}

}  // namespace

TEST_CASE("shape helpers") {
  CHECK(element_count({}) == 1);
  CHECK(element_count({64, 26, 26, 10}) == 432640);
  CHECK(to_string({64, 26, 26, 10}) == "(64,26,26,10)");
  CHECK(to_string({}) == "()");
  CHECK(arity(OpKind::AdamUpdate) == 4);
  CHECK(spelling(OpKind::GlobalMaxPool2D) == "global_maxpool2d");
  CHECK(is_update(OpKind::SgdUpdate));
  CHECK_FALSE(is_update(OpKind::Conv2D));
}

TEST_CASE("window geometry follows the TF rules") {
  // valid: (in - k) / s + 1
  CHECK(window_axis(28, 3, 1, Padding::Valid).out == 26);
  CHECK(window_axis(26, 2, 2, Padding::Valid).out == 13);
  CHECK(window_axis(7, 3, 2, Padding::Valid).out == 3);
  CHECK_THROWS_AS(window_axis(2, 3, 1, Padding::Valid), std::logic_error);
  // same: ceil(in / s); pad_total = (out - 1) * s + k - in, half (rounded down) before
  const WindowAxis a = window_axis(7, 3, 2, Padding::Same);
  CHECK(a.out == 4);
  CHECK(a.pad_before == 1);
  const WindowAxis b = window_axis(5, 2, 2, Padding::Same);  // pad_total 1: all after
  CHECK(b.out == 3);
  CHECK(b.pad_before == 0);
  const WindowAxis c = window_axis(28, 3, 1, Padding::Same);
  CHECK(c.out == 28);
  CHECK(c.pad_before == 1);
  CHECK(window_axis(6, 1, 3, Padding::Same).pad_before == 0);  // pad_total clamps at 0
}

TEST_CASE("the builder infers shapes of the seed's model") {
  Graph g;
  Node images = leaf(OpKind::Input, {64, 28, 28, 1}, "images");
  const NodeId x = g.add(images);
  const NodeId k = g.add(leaf(OpKind::Param, {3, 3, 1, 10}, "conv2d/kernel"));
  const NodeId conv = g.add(op_node(OpKind::Conv2D, {x, k}, {}, "conv2d"));
  CHECK(g.node(conv).shape == Shape{64, 26, 26, 10});
  const NodeId pooled = g.add(op_node(OpKind::MaxPool2D, {conv}, pool(2, 2, Padding::Valid)));
  CHECK(g.node(pooled).shape == Shape{64, 13, 13, 10});
  Node flat = op_node(OpKind::Reshape, {pooled});
  flat.shape = {64, 1690};
  const NodeId f = g.add(flat);
  const NodeId w = g.add(leaf(OpKind::Param, {1690, 15}, "dense/kernel"));
  const NodeId h = g.add(op_node(OpKind::MatMul, {f, w}));
  CHECK(g.node(h).shape == Shape{64, 15});
  const NodeId same = g.add(op_node(OpKind::AvgPool2D, {conv}, pool(3, 2, Padding::Same)));
  CHECK(g.node(same).shape == Shape{64, 13, 13, 10});
  CHECK(g.node(g.add(op_node(OpKind::GlobalMaxPool2D, {conv}))).shape == Shape{64, 10});
  CHECK(g.node(g.add(op_node(OpKind::ChannelMean, {conv}))).shape == Shape{10});

  Node labels = leaf(OpKind::Input, {64}, "labels");
  labels.attrs.role = InputRole::Labels;
  const NodeId y = g.add(labels);
  CHECK(g.node(g.add(op_node(OpKind::SoftmaxXent, {h, y}))).shape.empty());
  CHECK_NOTHROW(verify(g));
}

TEST_CASE("matmul shapes honour the transpose flags") {
  Graph g;
  const NodeId a = g.add(leaf(OpKind::Param, {3, 4}, "a"));
  const NodeId b = g.add(leaf(OpKind::Param, {3, 5}, "b"));
  Attrs ta;
  ta.trans_a = true;
  CHECK(g.node(g.add(op_node(OpKind::MatMul, {a, b}, ta))).shape == Shape{4, 5});
  Attrs tb;
  tb.trans_b = true;
  const NodeId c = g.add(leaf(OpKind::Param, {5, 4}, "c"));
  CHECK(g.node(g.add(op_node(OpKind::MatMul, {a, c}, tb))).shape == Shape{3, 5});
  CHECK_THROWS_AS(g.add(op_node(OpKind::MatMul, {a, b})), std::logic_error);
}

TEST_CASE("the builder rejects malformed nodes") {
  Graph g;
  const NodeId x = g.add(leaf(OpKind::Param, {2, 3}, "x"));
  const NodeId c = g.add(leaf(OpKind::Param, {4}, "c"));
  SUBCASE("declared shape disagrees with the rule") {
    Node n = op_node(OpKind::Relu, {x});
    n.shape = {3, 2};
    CHECK_THROWS_AS(g.add(n), std::logic_error);
  }
  SUBCASE("channel mismatch") { CHECK_THROWS_AS(g.add(op_node(OpKind::BiasAdd, {x, c})), std::logic_error); }
  SUBCASE("reshape changes the element count") {
    Node n = op_node(OpKind::Reshape, {x});
    n.shape = {7};
    CHECK_THROWS_AS(g.add(n), std::logic_error);
  }
  SUBCASE("use before definition") { CHECK_THROWS_AS(g.add(op_node(OpKind::Neg, {5})), std::logic_error); }
  SUBCASE("wrong arity") { CHECK_THROWS_AS(g.add(op_node(OpKind::Add, {x})), std::logic_error); }
  SUBCASE("conv kernel does not fit the input channels") {
    const NodeId img = g.add(leaf(OpKind::Param, {1, 5, 5, 2}, "img"));
    const NodeId k = g.add(leaf(OpKind::Param, {3, 3, 1, 4}, "k"));
    CHECK_THROWS_AS(g.add(op_node(OpKind::Conv2D, {img, k})), std::logic_error);
  }
}

TEST_CASE("gradient ops validate their declared input shape") {
  Graph g;
  const NodeId gy = g.add(leaf(OpKind::Param, {1, 4, 4, 3}, "g"));
  const NodeId k = g.add(leaf(OpKind::Param, {3, 3, 2, 3}, "k"));
  Node dx = op_node(OpKind::Conv2DGradInput, {gy, k}, pool(3, 2, Padding::Same));
  dx.shape = {1, 7, 7, 2};  // same, stride 2: ceil(7 / 2) = 4
  CHECK(g.node(g.add(dx)).shape == Shape{1, 7, 7, 2});
  dx.shape = {1, 9, 9, 2};  // would give 5x5, not 4x4
  CHECK_THROWS_AS(g.add(dx), std::logic_error);
  Node avg = op_node(OpKind::AvgPool2DGrad, {gy}, pool(2, 2, Padding::Valid));
  avg.shape = {1, 8, 8, 3};
  CHECK_NOTHROW(g.add(avg));
}

TEST_CASE("verify rejects a graph whose shapes were corrupted") {
  Graph g;
  const NodeId x = g.add(leaf(OpKind::Param, {2, 3}, "x"));
  const NodeId y = g.add(op_node(OpKind::Relu, {x}));
  CHECK_NOTHROW(verify(g));
  g.node(y).shape = {3, 2};
  CHECK_THROWS_AS(verify(g), std::logic_error);
}

TEST_CASE("verify checks variables and effects") {
  Graph g;
  const NodeId p = g.add(leaf(OpKind::Param, {2}, "p"));
  const NodeId grad = g.add(op_node(OpKind::Neg, {p}));
  SUBCASE("duplicate variable names") {
    g.add(leaf(OpKind::State, {2}, "p"));
    CHECK_THROWS_AS(verify(g), std::logic_error);
  }
  SUBCASE("an update must target a variable") {
    const NodeId v = g.add(leaf(OpKind::State, {2}, "p/momentum"));
    g.add_effect(g.add(op_node(OpKind::SgdUpdate, {grad, grad, v})));
    CHECK_THROWS_AS(verify(g), std::logic_error);
  }
  SUBCASE("an effect must be an update") {
    g.add_effect(grad);
    CHECK_THROWS_AS(verify(g), std::logic_error);
  }
  SUBCASE("a variable is updated at most once") {
    const NodeId v = g.add(leaf(OpKind::State, {2}, "p/momentum"));
    g.add_effect(g.add(op_node(OpKind::SgdUpdate, {p, grad, v})));
    CHECK_NOTHROW(verify(g));
    g.add_effect(g.add(op_node(OpKind::SgdUpdate, {p, grad, v})));
    CHECK_THROWS_AS(verify(g), std::logic_error);
  }
}

TEST_CASE("outputs and variables are found by name") {
  Graph g;
  const NodeId p = g.add(leaf(OpKind::Param, {2}, "dense/bias"));
  const NodeId s = g.add(leaf(OpKind::State, {2}, "dense/bias/adam_m"));
  const NodeId n = g.add(op_node(OpKind::Neg, {p}));
  g.set_output("neg", n);
  CHECK(g.output("neg") == n);
  CHECK(g.output("missing") == -1);
  g.set_output("neg", p);  // rebinding replaces
  CHECK(g.outputs().size() == 1);
  CHECK(g.output("neg") == p);
  CHECK(g.find_variable("dense/bias") == p);
  CHECK(g.find_variable("dense/bias/adam_m") == s);
  CHECK(g.find_variable("nope") == -1);
}

TEST_CASE("print gives one line per node, then outputs and effects") {
  Graph g;
  const NodeId x = g.add(leaf(OpKind::Input, {64, 28, 28, 1}, "images"));
  const NodeId k = g.add(leaf(OpKind::Param, {3, 3, 1, 10}, "conv2d/kernel"));
  const NodeId conv = g.add(op_node(OpKind::Conv2D, {x, k}, {}, "conv2d"));
  const NodeId m = g.add(leaf(OpKind::State, {3, 3, 1, 10}, "conv2d/kernel/momentum"));
  Attrs sgd;
  sgd.lr = 0.01;
  sgd.momentum = 0.9;
  g.add_effect(g.add({OpKind::SgdUpdate, {k, k, m}, {}, sgd, "update/conv2d/kernel", {}}));
  g.set_output("features", conv);
  CHECK(print(g) ==
        "%0 = input() {role=images} : (64,28,28,1)  # images\n"
        "%1 = param() : (3,3,1,10)  # conv2d/kernel\n"
        "%2 = conv2d(%0, %1) {stride_h=1, stride_w=1, padding=valid} : (64,26,26,10)  # conv2d\n"
        "%3 = state() : (3,3,1,10)  # conv2d/kernel/momentum\n"
        "%4 = sgd_update(%1, %1, %3) {lr=0.01, momentum=0.9, nesterov=false, decay=0, l2=0} : (3,3,1,10)  # update/conv2d/kernel\n"
        "output features = %2\n"
        "effects %4\n");
}
