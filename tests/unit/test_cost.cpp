// FLOP counts of graphs (compiler/ir/cost.hpp): small graphs counted by hand,
// and the seed CNN's training step against a layer-by-layer hand calculation.
#include <doctest/doctest.h>

#include <cstdint>

#include "compiler/ir/cost.hpp"
#include "compiler/lower/step_graph.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

using namespace tl::ir;

Node leaf(OpKind op, Shape shape, std::string name) { return {op, {}, std::move(shape), {}, std::move(name), {}}; }

Node op_node(OpKind op, std::vector<NodeId> inputs, Attrs attrs = {}, Shape shape = {}) {
  return {op, std::move(inputs), std::move(shape), attrs, {}, {}};
}

Attrs window(int k, int s, Padding p) {
  Attrs a;
  a.window_h = a.window_w = k;
  a.stride_h = a.stride_w = s;
  a.padding = p;
  return a;
}

}  // namespace

TEST_CASE("cost: conv2d and its gradients are 2*B*OH*OW*O*KH*KW*I") {
  Graph g;
  const NodeId x = g.add(leaf(OpKind::Input, {2, 5, 5, 3}, "x"));
  const NodeId w = g.add(leaf(OpKind::Param, {3, 3, 3, 4}, "w"));
  const NodeId y = g.add(op_node(OpKind::Conv2D, {x, w}));  // (2,3,3,4)
  const std::int64_t valid = 2 * (2 * 3 * 3 * 4) * (3 * 3 * 3);
  CHECK(valid == 3888);
  CHECK(flops(g, y) == valid);
  const NodeId dx = g.add(op_node(OpKind::Conv2DGradInput, {y, w}, {}, {2, 5, 5, 3}));
  CHECK(flops(g, dx) == valid);
  const NodeId dw = g.add(op_node(OpKind::Conv2DGradFilter, {x, y}, window(3, 1, Padding::Valid)));
  CHECK(flops(g, dw) == valid);
  // Same padding: every output cell counts the whole kernel (padded cells too).
  Attrs same = window(3, 1, Padding::Same);
  const NodeId ys = g.add(op_node(OpKind::Conv2D, {x, w}, same));  // (2,5,5,4)
  CHECK(flops(g, ys) == 2 * (2 * 5 * 5 * 4) * 27);
  // Leaves cost nothing; the graph total is the sum of its nodes.
  CHECK(flops(g, x) == 0);
  CHECK(flops(g, w) == 0);
  CHECK(flops(g) == 3 * valid + 2 * (2 * 5 * 5 * 4) * 27);
}

TEST_CASE("cost: matmul is 2*M*N*K whichever operand is transposed") {
  Graph g;
  const NodeId a = g.add(leaf(OpKind::Param, {4, 6}, "a"));
  const NodeId b = g.add(leaf(OpKind::Param, {6, 3}, "b"));
  const NodeId at = g.add(leaf(OpKind::Param, {6, 4}, "at"));
  const NodeId bt = g.add(leaf(OpKind::Param, {3, 6}, "bt"));
  Attrs ta, tb;
  ta.trans_a = true;
  tb.trans_b = true;
  CHECK(flops(g, g.add(op_node(OpKind::MatMul, {a, b}))) == 2 * 4 * 3 * 6);
  CHECK(flops(g, g.add(op_node(OpKind::MatMul, {at, b}, ta))) == 2 * 4 * 3 * 6);
  CHECK(flops(g, g.add(op_node(OpKind::MatMul, {a, bt}, tb))) == 2 * 4 * 3 * 6);
}

TEST_CASE("cost: pooling counts the valid cells of every window") {
  Graph g;
  const NodeId x = g.add(leaf(OpKind::Input, {1, 4, 4, 2}, "x"));
  const NodeId p = g.add(op_node(OpKind::MaxPool2D, {x}, window(2, 2, Padding::Valid)));  // (1,2,2,2)
  CHECK(flops(g, p) == 4 * 4 * 2);                                                         // 4 windows of 4 cells, 2 channels
  CHECK(flops(g, g.add(op_node(OpKind::MaxPool2DGrad, {x, p}, window(2, 2, Padding::Valid)))) == 32 + 8);
  // 5x5, window 2, stride 2, same: 3 windows per axis over 2 + 2 + 1 cells.
  const NodeId z = g.add(leaf(OpKind::Input, {1, 5, 5, 1}, "z"));
  const NodeId m = g.add(op_node(OpKind::MaxPool2D, {z}, window(2, 2, Padding::Same)));  // (1,3,3,1)
  CHECK(flops(g, m) == 5 * 5);
  const NodeId avg = g.add(op_node(OpKind::AvgPool2D, {z}, window(2, 2, Padding::Same)));
  CHECK(flops(g, avg) == 25 + 9);  // the sums, then one divide per window
  CHECK(flops(g, g.add(op_node(OpKind::AvgPool2DGrad, {avg}, window(2, 2, Padding::Same), {1, 5, 5, 1}))) == 25 + 9);
  const NodeId gm = g.add(op_node(OpKind::GlobalMaxPool2D, {x}));  // (1,2)
  CHECK(flops(g, gm) == 32);
  CHECK(flops(g, g.add(op_node(OpKind::GlobalMaxPool2DGrad, {x, gm}))) == 32 + 2);
}

TEST_CASE("cost: elementwise, reductions, loss and updates by element counts") {
  Graph g;
  const NodeId x = g.add(leaf(OpKind::Input, {4, 3}, "x"));
  const NodeId y = g.add(leaf(OpKind::Param, {4, 3}, "y"));
  const NodeId c = g.add(leaf(OpKind::Param, {3}, "c"));
  const NodeId labels = g.add(leaf(OpKind::Input, {4}, "labels"));
  CHECK(flops(g, g.add(op_node(OpKind::Add, {x, y}))) == 12);
  CHECK(flops(g, g.add(op_node(OpKind::Relu, {x}))) == 12);
  CHECK(flops(g, g.add(op_node(OpKind::Sigmoid, {x}))) == 4 * 12);
  CHECK(flops(g, g.add(op_node(OpKind::TanhGrad, {x, y}))) == 3 * 12);
  CHECK(flops(g, g.add(op_node(OpKind::BiasAdd, {x, c}))) == 12);
  CHECK(flops(g, g.add(op_node(OpKind::ChannelSum, {x}))) == 12);
  CHECK(flops(g, g.add(op_node(OpKind::ChannelMean, {x}))) == 12 + 3);
  CHECK(flops(g, g.add(op_node(OpKind::Reshape, {x}, {}, {12}))) == 0);
  Attrs drop;
  drop.rate = 0.5;
  CHECK(flops(g, g.add(op_node(OpKind::DropoutMask, {}, drop, {4, 3}))) == 0);
  CHECK(flops(g, g.add(op_node(OpKind::Softmax, {x}))) == 5 * 12);
  CHECK(flops(g, g.add(op_node(OpKind::SoftmaxGrad, {x, y}))) == 4 * 12);
  const NodeId loss = g.add(op_node(OpKind::SoftmaxXent, {x, labels}));
  CHECK(flops(g, loss) == 4 * 12 + 3 * 4 + 1);
  CHECK(flops(g, g.add(op_node(OpKind::SoftmaxXentGrad, {x, labels, loss}))) == 6 * 12 + 4 + 1);
  CHECK(flops(g, g.add(op_node(OpKind::ProbXent, {x, labels}))) == 4 * 4 + 1);
  CHECK(flops(g, g.add(op_node(OpKind::CountCorrect, {x, labels}))) == 12);
  // Updates: per element of the parameter.
  const NodeId m = g.add(leaf(OpKind::State, {4, 3}, "y/adam_m"));
  const NodeId v = g.add(leaf(OpKind::State, {4, 3}, "y/adam_v"));
  CHECK(flops(g, g.add(op_node(OpKind::AdamUpdate, {y, x, m, v}))) == 12 * 12);
  Attrs momentum;
  momentum.momentum = 0.9;
  CHECK(flops(g, g.add(op_node(OpKind::SgdUpdate, {y, x, m}))) == 2 * 12);
  CHECK(flops(g, g.add(op_node(OpKind::SgdUpdate, {y, x, m}, momentum))) == 4 * 12);
  CHECK(flops(g, g.add(op_node(OpKind::MovingAverage, {m, x}, momentum))) == 3 * 12);
}

TEST_CASE("cost: the seed CNN's training step, batch 64, by hand") {
  // examples/01_mnist.tl's model; building its step graphs needs no data.
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("cost.tl", R"(
model seed_cnn(classes) {
  input(28, 28, 1)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}
net = seed_cnn(10)
summary net
)",
                                      store);
  const tl::check::TrainConfig adam;  // Adam, sparse categorical cross-entropy on the softmax's logits
  auto train_flops = [&](std::int64_t b) {
    return flops(tl::lower::build_step(exp.models[0], b, tl::lower::StepKind::Train, &adam).graph);
  };

  const std::int64_t B = 64;
  const std::int64_t conv = 2 * B * 26 * 26 * 10 * 3 * 3 * 1;  // and its filter gradient
  const std::int64_t conv_out = B * 26 * 26 * 10;                // bias, its gradient's sum
  const std::int64_t pool = B * 13 * 13 * 10 * 4;               // 2x2 windows
  const std::int64_t pooled = B * 13 * 13 * 10;
  const std::int64_t dense = 2 * B * 1690 * 15;  // forward, kernel gradient, input gradient
  const std::int64_t dense_1 = 2 * B * 15 * 10;  // likewise
  const std::int64_t hidden = B * 15, logits = B * 10;
  const std::int64_t forward = conv + conv_out + pool + dense + 3 * hidden /* bias, relu, dropout */ + dense_1 +
                               logits /* bias */ + 5 * logits /* softmax */ + (4 * logits + 3 * B + 1) /* loss */ +
                               logits /* count_correct */;
  const std::int64_t backward = (6 * logits + B + 1) /* loss gradient */ + logits /* dense_1 bias */ +
                                2 * dense_1 /* kernel, input */ + 3 * hidden /* dropout, relu, dense bias */ +
                                2 * dense /* kernel, input */ + (pool + pooled) /* max pool */ +
                                conv_out /* conv bias */ + conv /* conv filter */;
  const std::int64_t params = 3 * 3 * 1 * 10 + 10 + 1690 * 15 + 15 + 15 * 10 + 10;
  CHECK(params == 25625);
  const std::int64_t updates = 12 * params;
  CHECK(train_flops(B) == forward + backward + updates);
  CHECK(forward + backward + updates == 27'530'798);

  // An epoch of 60,000 images: 937 steps of 64 and one of 32, whose count is
  // half the full step's but for the updates and the loss's two scalar divides.
  const std::int64_t half = (27'530'798 - updates - 2) / 2 + 2 + updates;
  CHECK(train_flops(32) == half);
  CHECK(937 * train_flops(64) + train_flops(32) == 25'810'276'876);
  // The four big terms alone (conv and its filter gradient, the hidden dense
  // layer's three matmuls) are the rough estimate of ~24 GFLOP per epoch;
  // the rest (pooling, biases, loss, updates) adds 9%.
  CHECK(60000.0 / 64 * (2 * conv + 3 * dense) == doctest::Approx(23.7276e9));
}
