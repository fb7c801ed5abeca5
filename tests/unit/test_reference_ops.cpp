// The reference executor's kernels on tiny inputs with hand-computed results
// (padding, ties, numerical stability, clipping, dropout), and the executor's
// own contract (missing values, shape checks).
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <stdexcept>

#include "compiler/ir/philox.hpp"
#include "tests/unit/graph_test_support.hpp"

namespace {

using namespace tl;
using ir::OpKind;
using test::make_tensor;

/// Runs op(inputs...) where every input is a Param, and returns the result.
Tensor run_op(OpKind op, std::vector<Tensor> inputs, ir::Attrs attrs = {}, ir::Shape shape = {},
              exec::StepContext ctx = {}) {
  test::GraphCase c;
  std::vector<ir::NodeId> ids;
  for (std::size_t i = 0; i < inputs.size(); ++i) ids.push_back(c.param("in" + std::to_string(i), std::move(inputs[i])));
  c.graph.set_output("y", c.add(op, ids, attrs, std::move(shape)));
  return c.run(ctx).at("y");
}

ir::Attrs window(int kh, int kw, int s, ir::Padding p) {
  ir::Attrs a;
  a.window_h = kh;
  a.window_w = kw;
  a.stride_h = a.stride_w = s;
  a.padding = p;
  return a;
}

void check_values(const Tensor& t, const ir::Shape& shape, const std::vector<float>& expected) {
  REQUIRE(ir::Shape(t.shape().begin(), t.shape().end()) == shape);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(t.data()[i] == doctest::Approx(expected[i]));
  }
}

/// x (1,3,3,1) holding 1..9 row-major.
Tensor nine() { return make_tensor({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9}); }

}  // namespace

TEST_CASE("conv2d on hand-computed examples") {
  const Tensor k = make_tensor({2, 2, 1, 1}, {1, 2, 3, 4});
  // valid: out(0,0) = 1*1 + 2*2 + 3*4 + 4*5 = 37
  check_values(run_op(OpKind::Conv2D, {nine(), k}, window(1, 1, 1, ir::Padding::Valid)), {1, 2, 2, 1}, {37, 47, 67, 77});
  // same, stride 2: out 2x2, pad_total 1, all of it after (bottom/right zeros)
  check_values(run_op(OpKind::Conv2D, {nine(), k}, window(1, 1, 2, ir::Padding::Same)), {1, 2, 2, 1}, {37, 21, 23, 9});
  // same, stride 1, 3x3 ones: pad 1 on every side, so each output sums its
  // 3x3 neighbourhood (12 = 1 + 2 + 4 + 5 at the corner).
  const Tensor ones = make_tensor({3, 3, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  check_values(run_op(OpKind::Conv2D, {nine(), ones}, window(1, 1, 1, ir::Padding::Same)), {1, 3, 3, 1},
               {12, 21, 16, 27, 45, 33, 24, 39, 28});
  // channels: out[co] = sum_ci x[ci] * w[ci, co]
  check_values(run_op(OpKind::Conv2D, {make_tensor({1, 1, 1, 2}, {1, 2}), make_tensor({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6})}),
               {1, 1, 1, 3}, {9, 12, 15});
}

TEST_CASE("explicit padding agrees with PyTorch: F.pad then conv2d, max_pool2d, avg_pool2d without the pad cells") {
  // Values printed by PyTorch 1.13.1 for x = 1..9 (1,1,3,3) and w = [[1,2],[3,4]].
  const Tensor k = make_tensor({2, 2, 1, 1}, {1, 2, 3, 4});
  const auto pads = [](int k_side, int s, int top, int bottom, int left, int right) {
    ir::Attrs a = window(k_side, k_side, s, ir::Padding::Explicit);
    a.pad_top = top, a.pad_bottom = bottom, a.pad_left = left, a.pad_right = right;
    return a;
  };
  // F.conv2d(F.pad(x, (0, 1, 1, 0)), w): one row above, one column right.
  check_values(run_op(OpKind::Conv2D, {nine(), k}, pads(1, 1, 1, 0, 0, 1)), {1, 3, 3, 1}, {11, 18, 9, 37, 47, 21, 67, 77, 33});
  // F.conv2d(F.pad(x, (1, 1, 1, 1)), w, stride=2).
  check_values(run_op(OpKind::Conv2D, {nine(), k}, pads(1, 2, 1, 1, 1, 1)), {1, 2, 2, 1}, {4, 18, 36, 77});
  // F.max_pool2d(x, 3, stride=2, padding=1) and F.avg_pool2d(..., count_include_pad=False).
  check_values(run_op(OpKind::MaxPool2D, {nine()}, pads(3, 2, 1, 1, 1, 1)), {1, 2, 2, 1}, {5, 6, 8, 9});
  check_values(run_op(OpKind::AvgPool2D, {nine()}, pads(3, 2, 1, 1, 1, 1)), {1, 2, 2, 1}, {3, 4, 6, 7});
}

TEST_CASE("depthwise conv2d agrees with PyTorch's grouped conv2d") {
  // x = 1..18 as (1,3,3,2) NHWC; w = 0.1 * (1..16) as (2,2,2,2) = (K,K,C,M);
  // PyTorch: F.conv2d(F.pad(x, (0, 1, 1, 0)), w.permute(2,3,0,1).reshape(4,1,2,2),
  // groups=2), printed by PyTorch 1.13.1 (NHWC order).
  std::vector<float> xs(18), ws(16);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i + 1);
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i] = 0.1f * static_cast<float>(i + 1);
  ir::Attrs a = window(1, 1, 1, ir::Padding::Explicit);
  a.pad_top = 1, a.pad_right = 1;
  check_values(run_op(OpKind::DepthwiseConv2D, {make_tensor({1, 3, 3, 2}, xs), make_tensor({2, 2, 2, 2}, ws)}, a),
               {1, 3, 3, 4},
               {4.8f, 5.2f, 8.2f, 8.8f, 9.2f, 10.0f, 13.4f, 14.4f, 4.5f, 5.0f, 6.6f, 7.2f, 19.6f, 21.6f, 27.2f, 29.6f, 25.2f, 28.0f,
                34.4f, 37.6f, 10.4f, 12.0f, 15.0f, 16.8f, 36.4f, 40.8f, 48.8f, 53.6f, 42.0f, 47.2f, 56.0f, 61.6f, 16.4f, 19.2f, 23.4f,
                26.4f});
}

TEST_CASE("pooling excludes padding and breaks ties by scan order") {
  std::vector<float> zero_to_15(16);
  std::iota(zero_to_15.begin(), zero_to_15.end(), 0.0f);
  const Tensor sixteen = make_tensor({1, 4, 4, 1}, zero_to_15);
  check_values(run_op(OpKind::MaxPool2D, {sixteen}, window(2, 2, 2, ir::Padding::Valid)), {1, 2, 2, 1}, {5, 7, 13, 15});
  // All negative: a zero-padded max would return 0.
  Tensor negative = nine() * -1.0f;
  check_values(run_op(OpKind::MaxPool2D, {negative}, window(2, 2, 2, ir::Padding::Same)), {1, 2, 2, 1}, {-1, -3, -7, -9});
  check_values(run_op(OpKind::MaxPool2D, {negative}, window(3, 3, 1, ir::Padding::Same)), {1, 3, 3, 1},
               {-1, -1, -2, -1, -1, -2, -4, -4, -5});
  // Averages divide by the number of real cells: (3 + 6) / 2, not / 4.
  check_values(run_op(OpKind::AvgPool2D, {nine()}, window(2, 2, 2, ir::Padding::Same)), {1, 2, 2, 1}, {3, 4.5, 7.5, 9});
  check_values(run_op(OpKind::AvgPool2D, {nine()}, window(3, 3, 1, ir::Padding::Same)), {1, 3, 3, 1},
               {12 / 4.0, 21 / 6.0, 16 / 4.0, 27 / 6.0, 5, 33 / 6.0, 24 / 4.0, 39 / 6.0, 28 / 4.0});
  check_values(run_op(OpKind::AvgPool2DGrad, {make_tensor({1, 2, 2, 1}, {1, 1, 1, 1})}, window(2, 2, 2, ir::Padding::Same),
                      {1, 3, 3, 1}),
               {1, 3, 3, 1}, {0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1});
  check_values(run_op(OpKind::GlobalMaxPool2D, {make_tensor({1, 2, 1, 2}, {1, 8, 4, -2})}), {1, 2}, {4, 8});

  const Tensor ties = make_tensor({1, 2, 2, 1}, {3, 3, 3, 3});
  check_values(run_op(OpKind::MaxPool2DGrad, {ties, make_tensor({1, 1, 1, 1}, {1})}, window(2, 2, 2, ir::Padding::Valid)),
               {1, 2, 2, 1}, {1, 0, 0, 0});
  check_values(run_op(OpKind::GlobalMaxPool2DGrad, {ties, make_tensor({1, 1}, {2})}), {1, 2, 2, 1}, {2, 0, 0, 0});
  // (1,2,1,2): channel 0 holds 1, 4; channel 1 holds 8, -2.
  check_values(run_op(OpKind::GlobalAvgPool2D, {make_tensor({1, 2, 1, 2}, {1, 8, 4, -2})}), {1, 2}, {2.5f, 3});
  check_values(run_op(OpKind::GlobalSumPool2D, {make_tensor({1, 2, 1, 2}, {1, 8, 4, -2})}), {1, 2}, {5, 6});
  check_values(run_op(OpKind::GlobalAvgPool2DGrad, {make_tensor({1, 2, 1, 2}, {0, 0, 0, 0}), make_tensor({1, 2}, {4, 6})}),
               {1, 2, 1, 2}, {2, 3, 2, 3});
  check_values(run_op(OpKind::SpatialBroadcast, {make_tensor({1, 2, 1, 2}, {0, 0, 0, 0}), make_tensor({1, 2}, {4, 6})}),
               {1, 2, 1, 2}, {4, 6, 4, 6});
  // Overlapping 1x2 windows share the maximum 5: its gradient is the sum.
  check_values(run_op(OpKind::MaxPool2DGrad, {make_tensor({1, 1, 3, 1}, {0, 5, 1}), make_tensor({1, 1, 2, 1}, {1, 2})},
                      window(1, 2, 1, ir::Padding::Valid)),
               {1, 1, 3, 1}, {0, 3, 0});
}

TEST_CASE("matmul and per-channel kernels") {
  const Tensor a = make_tensor({2, 2}, {1, 2, 3, 4});
  const Tensor b = make_tensor({2, 2}, {5, 6, 7, 8});
  ir::Attrs tb;
  tb.trans_b = true;
  check_values(run_op(OpKind::MatMul, {a, b}), {2, 2}, {19, 22, 43, 50});
  check_values(run_op(OpKind::MatMul, {a, b}, tb), {2, 2}, {17, 23, 39, 53});
  check_values(run_op(OpKind::ChannelSum, {a}), {2}, {4, 6});
  check_values(run_op(OpKind::ChannelMean, {a}), {2}, {2, 3});
  check_values(run_op(OpKind::BiasAdd, {a, make_tensor({2}, {10, 20})}), {2, 2}, {11, 22, 13, 24});
  check_values(run_op(OpKind::ChannelBroadcast, {make_tensor({2}, {1, 2})}, {}, {2, 1, 2}), {2, 1, 2}, {1, 2, 1, 2});
  check_values(run_op(OpKind::ChannelSpread, {make_tensor({2}, {1, 2})}, {}, {2, 1, 2}), {2, 1, 2}, {0.5f, 1, 0.5f, 1});
}

TEST_CASE("softmax and sigmoid are numerically stable") {
  check_values(run_op(OpKind::Softmax, {make_tensor({1, 2}, {1000, 1000})}), {1, 2}, {0.5, 0.5});
  check_values(run_op(OpKind::Sigmoid, {make_tensor({2}, {-100, 100})}), {2}, {0, 1});
}

TEST_CASE("leaky_relu and gelu at known points") {
  ir::Attrs a;
  a.alpha = 0.1;
  check_values(run_op(OpKind::LeakyRelu, {make_tensor({3}, {-2, 0, 3})}, a), {3}, {-0.2f, 0, 3});
  // gelu(x) = x Phi(x): Phi(1) = 0.8413447, Phi(-1) = 0.1586553, Phi(2) = 0.9772499.
  check_values(run_op(OpKind::Gelu, {make_tensor({4}, {-1, 0, 1, 2})}), {4}, {-0.1586553f, 0, 0.8413447f, 1.9544997f});
  // d gelu / dx = Phi(x) + x phi(x): 0.5 at 0; Phi(1) + phi(1) = 1.0833155 at 1.
  check_values(run_op(OpKind::GeluGrad, {make_tensor({2}, {0, 1}), make_tensor({2}, {1, 2})}), {2}, {0.5f, 2 * 1.0833155f});
  check_values(run_op(OpKind::LeakyReluGrad, {make_tensor({2}, {-0.2f, 3}), make_tensor({2}, {5, 5})}, a), {2}, {0.5f, 5});
}

TEST_CASE("clip, hard_sigmoid, hard_swish and swish at known points") {
  ir::Attrs bounds;
  bounds.lo = 0;
  bounds.hi = 6;  // relu6
  check_values(run_op(OpKind::Clip, {make_tensor({4}, {-1, 0.5f, 6, 7})}, bounds), {4}, {0, 0.5f, 6, 6});
  // The gradient reads y and passes g strictly inside the bounds.
  check_values(run_op(OpKind::ClipGrad, {make_tensor({4}, {0, 0.5f, 6, 3}), make_tensor({4}, {2, 2, 2, 2})}, bounds),
               {4}, {0, 2, 0, 2});
  ir::Attrs hard;
  hard.alpha = 0.2;
  hard.beta = 0.5;  // ONNX's defaults: 0 below -2.5, 1 above 2.5
  check_values(run_op(OpKind::HardSigmoid, {make_tensor({4}, {-3, 0, 1, 3})}, hard), {4}, {0, 0.5f, 0.7f, 1});
  check_values(run_op(OpKind::HardSigmoidGrad, {make_tensor({3}, {0, 0.5f, 1}), make_tensor({3}, {1, 1, 1})}, hard), {3},
               {0, 0.2f, 0});
  // hard_swish(x) = x relu6(x + 3) / 6: 0 below -3, x above 3, 1 * 4 / 6 at 1.
  check_values(run_op(OpKind::HardSwish, {make_tensor({4}, {-4, 1, 3, 5})}), {4}, {0, 4.0f / 6, 3, 5});
  check_values(run_op(OpKind::HardSwishGrad, {make_tensor({4}, {-4, 0, 1.5f, 4}), make_tensor({4}, {1, 1, 2, 1})}), {4},
               {0, 0.5f, 2, 1});
  // swish(x) = x sigmoid(x): sigmoid(1) = 0.7310586; d/dx at 0 is 1/2.
  check_values(run_op(OpKind::Swish, {make_tensor({3}, {0, 1, -100})}), {3}, {0, 0.7310586f, 0});
  check_values(run_op(OpKind::SwishGrad, {make_tensor({2}, {0, 1}), make_tensor({2}, {1, 1})}), {2},
               {0.5f, 0.7310586f + 0.7310586f * (1 - 0.7310586f)});
}

TEST_CASE("the new activations agree with PyTorch 1.13, corners included") {
  // torch.nn.functional.{hardswish, hardsigmoid, silu, relu6} and their
  // gradients (x.grad of y.sum()) at these points, printed by PyTorch 1.13.1.
  const std::vector<float> x{-4, -3, -1.5f, 0, 1, 3, 5};
  const ir::Shape s{7};
  const Tensor ones = make_tensor(s, std::vector<float>(7, 1.0f));
  const auto forward_and_grad = [&](OpKind op, OpKind grad, ir::Attrs a, bool grad_reads_y) {
    const Tensor y = run_op(op, {make_tensor(s, x)}, a);
    return std::make_pair(y, run_op(grad, {grad_reads_y ? y : make_tensor(s, x), ones}, a));
  };
  {
    const auto [y, dx] = forward_and_grad(OpKind::HardSwish, OpKind::HardSwishGrad, {}, false);
    check_values(y, s, {0, 0, -0.375f, 0, 0.6666667f, 3, 5});
    check_values(dx, s, {0, -0.5f, 0, 0.5f, 0.8333334f, 1.5f, 1});
  }
  {
    ir::Attrs a;
    a.alpha = 1.0 / 6.0;
    a.beta = 0.5;
    const auto [y, dx] = forward_and_grad(OpKind::HardSigmoid, OpKind::HardSigmoidGrad, a, true);
    check_values(y, s, {0, 0, 0.25f, 0.5f, 0.6666667f, 1, 1});
    check_values(dx, s, {0, 0, 0.1666667f, 0.1666667f, 0.1666667f, 0, 0});
  }
  {
    const auto [y, dx] = forward_and_grad(OpKind::Swish, OpKind::SwishGrad, {}, false);
    check_values(y, s, {-0.0719448f, -0.1422776f, -0.2736383f, 0, 0.7310586f, 2.8577225f, 4.9665356f});
    check_values(dx, s, {-0.0526646f, -0.0881041f, -0.0412942f, 0.5f, 0.9276705f, 1.0881041f, 1.0265474f});
  }
  {
    ir::Attrs a;
    a.lo = 0;
    a.hi = 6;
    const auto [y, dx] = forward_and_grad(OpKind::Clip, OpKind::ClipGrad, a, true);
    check_values(y, s, {0, 0, 0, 0, 1, 3, 5});
    check_values(dx, s, {0, 0, 0, 0, 1, 1, 1});
  }
}

TEST_CASE("softmax_xent is the stable mean cross-entropy") {
  const Tensor logits = make_tensor({2, 3}, {1, 2, 3, 1000, 0, -1000});
  const Tensor labels = make_tensor({2}, {2, 1});
  // row 0: log(e + e^2 + e^3) - 3; row 1: log-sum-exp is 1000, minus logit 0.
  const double row0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
  const Tensor loss = run_op(OpKind::SoftmaxXent, {logits, labels});
  CHECK(loss.shape().empty());
  CHECK(loss() == doctest::Approx((row0 + 1000.0) / 2.0));
  // (softmax - onehot) * g / B with g = 2, B = 2
  const Tensor grad = run_op(OpKind::SoftmaxXentGrad, {logits, labels, make_tensor({}, {2})});
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  check_values(grad, {2, 3}, {float(std::exp(1.0) / z), float(std::exp(2.0) / z), float(std::exp(3.0) / z - 1), 1, -1, 0});
}

TEST_CASE("prob_xent clips probabilities like Keras") {
  const Tensor probs = make_tensor({2, 2}, {0, 1, 0.5f, 0.5f});
  const Tensor labels = make_tensor({2}, {0, 1});
  // -log(1e-7) for the zero probability, -log(0.5) for the other row.
  CHECK(run_op(OpKind::ProbXent, {probs, labels})() == doctest::Approx((-std::log(1e-7) - std::log(0.5)) / 2));
  // The clip is active at p = 0, so no gradient flows there.
  check_values(run_op(OpKind::ProbXentGrad, {probs, labels, make_tensor({}, {1})}), {2, 2}, {0, 0, 0, -1});
}

TEST_CASE("count_correct takes the first maximum") {
  const Tensor scores = make_tensor({3, 3}, {1, 3, 3, 2, 1, 0, 0, 0, 0});
  CHECK(run_op(OpKind::CountCorrect, {scores, make_tensor({3}, {2, 0, 0})})() == 2);
  CHECK(run_op(OpKind::CountCorrect, {scores, make_tensor({3}, {1, 0, 0})})() == 3);
  CHECK_THROWS_AS(run_op(OpKind::CountCorrect, {scores, make_tensor({3}, {3, 0, 0})}), std::runtime_error);
}

TEST_CASE("dropout masks follow Philox(seed, stream, step, index)") {
  ir::Attrs a;
  a.rate = 0.25;
  a.stream = 11;
  const exec::StepContext ctx{5, 3};
  const Tensor mask = run_op(OpKind::DropoutMask, {}, a, {1000}, ctx);
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const bool keep = rng::uniform(5, 11, 3, i) >= 0.25;
    CHECK(mask.data()[i] == (keep ? doctest::Approx(4.0 / 3.0) : doctest::Approx(0.0)));
    dropped += keep ? 0 : 1;
  }
  CHECK(dropped > 200);
  CHECK(dropped < 300);
  const Tensor next = run_op(OpKind::DropoutMask, {}, a, {1000}, exec::StepContext{5, 4});
  CHECK(next != mask);
  CHECK(run_op(OpKind::DropoutMask, {}, a, {1000}, ctx) == mask);
}

TEST_CASE("the executor checks what it is given") {
  test::GraphCase c;
  const ir::NodeId p = c.param("dense/kernel", make_tensor({2}, {1, 2}));
  const ir::NodeId s = c.graph.add({OpKind::State, {}, {2}, {}, "bn/moving_mean", {}});
  c.graph.set_output("sum", c.add(OpKind::Add, {p, s}));
  check_values(c.run().at("sum"), {2}, {1, 2});  // an absent State reads as zeros

  c.vars.tensors["dense/kernel"] = make_tensor({3}, {1, 2, 3});
  CHECK_THROWS_WITH_AS(c.run(), doctest::Contains("dense/kernel"), std::runtime_error);
  c.vars.tensors.erase("dense/kernel");
  CHECK_THROWS_WITH_AS(c.run(), doctest::Contains("dense/kernel"), std::runtime_error);

  test::GraphCase fed;
  ir::Node images{OpKind::Input, {}, {1, 2, 2, 1}, {}, "images", {}};
  fed.graph.set_output("y", fed.add(OpKind::Neg, {fed.graph.add(images)}));
  exec::ReferenceExecutor executor;
  CHECK_THROWS_AS(executor.run(fed.graph, fed.vars, {}, {}), std::runtime_error);
  const Tensor wrong = make_tensor({1, 4}, {1, 2, 3, 4});
  CHECK_THROWS_AS(executor.run(fed.graph, fed.vars, {&wrong, nullptr}, {}), std::runtime_error);
  const Tensor right = make_tensor({1, 2, 2, 1}, {1, 2, 3, 4});
  check_values(executor.run(fed.graph, fed.vars, {&right, nullptr}, {}).at("y"), {1, 2, 2, 1}, {-1, -2, -3, -4});
}

TEST_CASE("one executor runs different graphs in turn") {
  // Buffers are reused across runs and resized when a graph's shapes differ;
  // results must not depend on what ran before.
  auto graph_of = [](std::int64_t n) {
    test::GraphCase c;
    c.graph.set_output("y", c.add(OpKind::Scale, {c.param("x", test::random_tensor({n, 3}, 5))}, [] {
      ir::Attrs a;
      a.value = 2.0;
      return a;
    }()));
    return c;
  };
  test::GraphCase small = graph_of(2), large = graph_of(7);
  exec::ReferenceExecutor shared;
  const Tensor first = shared.run(small.graph, small.vars, {}, {}).at("y");
  const Tensor other = shared.run(large.graph, large.vars, {}, {}).at("y");
  const Tensor again = shared.run(small.graph, small.vars, {}, {}).at("y");
  CHECK(first == again);
  CHECK(other == Tensor(large.vars.tensors.at("x") * 2.0f));
  CHECK(first == Tensor(small.vars.tensors.at("x") * 2.0f));
}

TEST_CASE("channel blocks move whole runs of channels, row by row") {
  const Tensor a = make_tensor({2, 2}, {1, 2, 3, 4});
  const Tensor b = make_tensor({2, 1}, {5, 6});
  check_values(run_op(OpKind::Concat, {a, b}), {2, 3}, {1, 2, 5, 3, 4, 6});
  check_values(run_op(OpKind::Concat, {b, a}), {2, 3}, {5, 1, 2, 6, 3, 4});
  ir::Attrs at1;
  at1.offset = 1;
  check_values(run_op(OpKind::SliceChannels, {make_tensor({2, 3}, {1, 2, 3, 4, 5, 6})}, at1, {2, 2}), {2, 2}, {2, 3, 5, 6});
  check_values(run_op(OpKind::PadChannels, {a}, at1, {2, 4}), {2, 4}, {0, 1, 2, 0, 0, 3, 4, 0});
  // A block outside the wider tensor is a compiler bug the verifier names.
  ir::Attrs at2;
  at2.offset = 2;
  CHECK_THROWS_WITH_AS(run_op(OpKind::SliceChannels, {make_tensor({2, 3}, {1, 2, 3, 4, 5, 6})}, at2, {2, 2}),
                       doctest::Contains("not inside"), std::logic_error);
}

TEST_CASE("dilated conv2d and counted padding on hand-computed examples") {
  // 2x2 kernel with taps 2 apart spans 3x3: out = 1*1 + 2*3 + 3*7 + 4*9 = 64.
  ir::Attrs a = window(1, 1, 1, ir::Padding::Valid);
  a.dilation_h = a.dilation_w = 2;
  check_values(run_op(OpKind::Conv2D, {nine(), make_tensor({2, 2, 1, 1}, {1, 2, 3, 4})}, a), {1, 1, 1, 1}, {64});
  // Same padding at dilation 2 (one cell each side): a 3x3 output; the
  // corner (0,0) reads only x(1,1) = 5 through the last tap; the centre
  // reads the four corners (checked against numpy).
  a.padding = ir::Padding::Same;
  check_values(run_op(OpKind::Conv2D, {nine(), make_tensor({2, 2, 1, 1}, {1, 2, 3, 4})}, a), {1, 3, 3, 1},
               {4 * 5, 3 * 4 + 4 * 6, 3 * 5, 2 * 2 + 4 * 8, 64, 1 * 2 + 3 * 8, 2 * 5, 1 * 4 + 2 * 6, 1 * 5});
  // avgpool 3x3, padding 1: the corner's 4 real cells over 9, or over 4.
  ir::Attrs p = window(3, 3, 1, ir::Padding::Explicit);
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  // (PyTorch's avg_pool2d(3, 1, 1) with count_include_pad False and True.)
  check_values(run_op(OpKind::AvgPool2D, {nine()}, p), {1, 3, 3, 1}, {12.0f / 4, 21.0f / 6, 16.0f / 4, 27.0f / 6, 5});
  p.count_pad = true;
  check_values(run_op(OpKind::AvgPool2D, {nine()}, p), {1, 3, 3, 1}, {12.0f / 9, 21.0f / 9, 16.0f / 9, 27.0f / 9, 45.0f / 9});
}
