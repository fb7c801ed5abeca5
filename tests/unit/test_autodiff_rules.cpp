// Every adjoint rule in compiler/autodiff/rules.cpp against central finite
// differences: a tiny graph per op, loss = sum(op(x) * w) for a fixed random w
// (or the loss op itself), gradient of every differentiable input checked
// element by element (tests/unit/graph_test_support.hpp).
#include <doctest/doctest.h>

#include <cmath>

#include "tests/unit/graph_test_support.hpp"

namespace {

using namespace tl;
using ir::OpKind;
using test::check_gradients;
using test::GraphCase;
using test::random_tensor;

ir::Attrs value_attr(double v) {
  ir::Attrs a;
  a.value = v;
  return a;
}

ir::Attrs window(int k, int s, ir::Padding p) {
  ir::Attrs a;
  a.window_h = a.window_w = k;
  a.stride_h = a.stride_w = s;
  a.padding = p;
  return a;
}

void check_unary(OpKind op, Tensor x, ir::Attrs attrs = {}, ir::Shape shape = {}) {
  GraphCase c;
  const ir::NodeId px = c.param("x", std::move(x));
  check_gradients(c, c.weighted_sum(c.add(op, {px}, attrs, std::move(shape))), {px});
}

void check_binary(OpKind op, Tensor a, Tensor b, ir::Attrs attrs = {}) {
  GraphCase c;
  const ir::NodeId pa = c.param("a", std::move(a));
  const ir::NodeId pb = c.param("b", std::move(b));
  check_gradients(c, c.weighted_sum(c.add(op, {pa, pb}, attrs)), {pa, pb});
}

/// Uniform in [lo, hi), with each value within 0.05 of a kink moved 0.1
/// away from it: piecewise ops have no derivative there.
Tensor avoiding(const ir::Shape& shape, std::uint64_t stream, float lo, float hi, const std::vector<float>& kinks) {
  Tensor t = random_tensor(shape, stream, lo, hi);
  for (float& v : t)
    for (const float k : kinks)
      if (std::abs(v - k) < 0.05f) v = v < k ? k - 0.1f : k + 0.1f;
  return t;
}

}  // namespace

TEST_CASE("elementwise adjoints match finite differences") {
  const ir::Shape s{2, 3, 4};
  SUBCASE("add") { check_binary(OpKind::Add, random_tensor(s, 1), random_tensor(s, 2)); }
  SUBCASE("mul") { check_binary(OpKind::Mul, random_tensor(s, 1), random_tensor(s, 2)); }
  SUBCASE("neg") { check_unary(OpKind::Neg, random_tensor(s, 3)); }
  SUBCASE("square") { check_unary(OpKind::Square, random_tensor(s, 4)); }
  SUBCASE("scale") { check_unary(OpKind::Scale, random_tensor(s, 5), value_attr(-1.5)); }
  SUBCASE("rsqrt") {
    ir::Attrs a;
    a.eps = 1e-3;
    check_unary(OpKind::Rsqrt, random_tensor(s, 6, 0.5f, 2.0f), a);
  }
  SUBCASE("relu") { check_unary(OpKind::Relu, test::away_from_zero(s, 7)); }
  SUBCASE("sigmoid") { check_unary(OpKind::Sigmoid, random_tensor(s, 8, -2.0f, 2.0f)); }
  SUBCASE("tanh") { check_unary(OpKind::Tanh, random_tensor(s, 9, -2.0f, 2.0f)); }
  SUBCASE("leaky_relu") {
    ir::Attrs a;
    a.alpha = 0.15;
    check_unary(OpKind::LeakyRelu, test::away_from_zero(s, 10), a);
  }
  SUBCASE("gelu") { check_unary(OpKind::Gelu, random_tensor(s, 11, -3.0f, 3.0f)); }
  SUBCASE("clip") {
    ir::Attrs a;
    a.lo = -0.5;
    a.hi = 1.0;
    check_unary(OpKind::Clip, avoiding(s, 12, -2.0f, 2.0f, {-0.5f, 1.0f}), a);
  }
  SUBCASE("hard_sigmoid") {
    ir::Attrs a;
    a.alpha = 0.2;
    a.beta = 0.6;
    // 0.2 x + 0.6 leaves [0, 1] below x = -3 and above x = 2.
    check_unary(OpKind::HardSigmoid, avoiding(s, 13, -5.0f, 5.0f, {-3.0f, 2.0f}), a);
  }
  SUBCASE("hard_swish") { check_unary(OpKind::HardSwish, avoiding(s, 14, -5.0f, 5.0f, {-3.0f, 3.0f})); }
  SUBCASE("swish") { check_unary(OpKind::Swish, random_tensor(s, 15, -4.0f, 4.0f)); }
  SUBCASE("softmax") { check_unary(OpKind::Softmax, random_tensor({3, 5}, 10, -2.0f, 2.0f)); }
}

TEST_CASE("per-channel and structural adjoints match finite differences") {
  const ir::Shape s{2, 3, 4};
  SUBCASE("bias_add") { check_binary(OpKind::BiasAdd, random_tensor(s, 11), random_tensor({4}, 12)); }
  SUBCASE("channel_mul") { check_binary(OpKind::ChannelMul, random_tensor(s, 13), random_tensor({4}, 14)); }
  SUBCASE("channel_sum") { check_unary(OpKind::ChannelSum, random_tensor(s, 15)); }
  SUBCASE("channel_mean") { check_unary(OpKind::ChannelMean, random_tensor(s, 16)); }
  SUBCASE("channel_broadcast") { check_unary(OpKind::ChannelBroadcast, random_tensor({4}, 17), {}, s); }
  SUBCASE("channel_spread") { check_unary(OpKind::ChannelSpread, random_tensor({4}, 19), {}, s); }
  SUBCASE("reshape") { check_unary(OpKind::Reshape, random_tensor(s, 18), {}, {6, 4}); }
}

TEST_CASE("matmul adjoints match finite differences for every transpose combination") {
  // op(a) is (3,4) and op(b) is (4,5) in every case.
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      ir::Attrs a;
      a.trans_a = ta;
      a.trans_b = tb;
      const ir::Shape sa = ta ? ir::Shape{4, 3} : ir::Shape{3, 4};
      const ir::Shape sb = tb ? ir::Shape{5, 4} : ir::Shape{4, 5};
      check_binary(OpKind::MatMul, random_tensor(sa, 20), random_tensor(sb, 21), a);
    }
}

TEST_CASE("conv2d adjoints match finite differences") {
  // x (B,H,W,I), w (K,K,I,O); the window comes from w.
  auto check = [](ir::Shape x, ir::Shape w, int stride, ir::Padding p) {
    check_binary(OpKind::Conv2D, random_tensor(x, 30), random_tensor(w, 31), window(1, stride, p));
  };
  SUBCASE("valid, stride 1") { check({2, 6, 6, 3}, {3, 3, 3, 4}, 1, ir::Padding::Valid); }
  SUBCASE("same, stride 1") { check({2, 6, 6, 3}, {3, 3, 3, 4}, 1, ir::Padding::Same); }
  SUBCASE("valid, stride 2") { check({2, 7, 7, 2}, {3, 3, 2, 3}, 2, ir::Padding::Valid); }
  SUBCASE("same, stride 2") { check({2, 7, 7, 2}, {3, 3, 2, 3}, 2, ir::Padding::Same); }
  SUBCASE("same, even kernel: padding only after") { check({1, 5, 5, 2}, {2, 2, 2, 3}, 2, ir::Padding::Same); }
  SUBCASE("same, input smaller than the kernel") { check({2, 2, 1, 2}, {3, 3, 2, 3}, 2, ir::Padding::Same); }
  SUBCASE("explicit, asymmetric, stride 2") {
    ir::Attrs a = window(1, 2, ir::Padding::Explicit);
    a.pad_top = 2, a.pad_bottom = 0, a.pad_left = 1, a.pad_right = 2;
    check_binary(OpKind::Conv2D, random_tensor({2, 6, 5, 2}, 32), random_tensor({3, 3, 2, 3}, 33), a);
  }
}

TEST_CASE("depthwise conv2d adjoints match finite differences") {
  auto check = [](ir::Shape x, ir::Shape w, ir::Attrs a) {
    check_binary(OpKind::DepthwiseConv2D, random_tensor(x, 34), random_tensor(w, 35), a);
  };
  SUBCASE("valid, multiplier 1") { check({2, 5, 5, 3}, {3, 3, 3, 1}, window(1, 1, ir::Padding::Valid)); }
  SUBCASE("same, stride 2, multiplier 2") { check({2, 6, 5, 3}, {3, 3, 3, 2}, window(1, 2, ir::Padding::Same)); }
  SUBCASE("explicit, asymmetric, multiplier 3") {
    ir::Attrs a = window(1, 1, ir::Padding::Explicit);
    a.pad_top = 1, a.pad_bottom = 0, a.pad_left = 0, a.pad_right = 2;
    check({1, 4, 4, 2}, {3, 3, 2, 3}, a);
  }
}

TEST_CASE("pooling adjoints match finite differences") {
  // Inputs have well-separated values so no perturbation changes an argmax.
  const ir::Shape s{2, 5, 5, 3};
  auto check_pool = [&](OpKind op, int k, int stride, ir::Padding p) {
    check_unary(op, test::distinct_values(s, 40), window(k, stride, p));
  };
  SUBCASE("maxpool valid 2x2/2") { check_pool(OpKind::MaxPool2D, 2, 2, ir::Padding::Valid); }
  SUBCASE("maxpool same 2x2/2") { check_pool(OpKind::MaxPool2D, 2, 2, ir::Padding::Same); }
  SUBCASE("maxpool valid 3x3/1, overlapping") { check_pool(OpKind::MaxPool2D, 3, 1, ir::Padding::Valid); }
  SUBCASE("maxpool same 3x3/2") { check_pool(OpKind::MaxPool2D, 3, 2, ir::Padding::Same); }
  SUBCASE("avgpool valid 2x2/2") { check_pool(OpKind::AvgPool2D, 2, 2, ir::Padding::Valid); }
  SUBCASE("avgpool same 3x3/2") { check_pool(OpKind::AvgPool2D, 3, 2, ir::Padding::Same); }
  SUBCASE("avgpool same 2x2/2") { check_pool(OpKind::AvgPool2D, 2, 2, ir::Padding::Same); }
  SUBCASE("maxpool and avgpool explicit 3x3/2, asymmetric") {
    ir::Attrs a = window(3, 2, ir::Padding::Explicit);
    a.pad_top = 1, a.pad_bottom = 2, a.pad_left = 0, a.pad_right = 1;
    check_unary(OpKind::MaxPool2D, test::distinct_values(s, 46), a);
    check_unary(OpKind::AvgPool2D, test::distinct_values(s, 47), a);
  }
  SUBCASE("global maxpool") { check_unary(OpKind::GlobalMaxPool2D, test::distinct_values(s, 41)); }
  // 2x2 positions: each gradient is w / 4, large enough to check.
  SUBCASE("global avgpool") { check_unary(OpKind::GlobalAvgPool2D, random_tensor({2, 2, 2, 3}, 42)); }
  SUBCASE("global sumpool") { check_unary(OpKind::GlobalSumPool2D, random_tensor(s, 43)); }
  SUBCASE("spatial broadcast") {
    // Only the spread (B,C) tensor is differentiable; x gives the shape.
    GraphCase c;
    const ir::NodeId px = c.param("x", random_tensor(s, 44));
    const ir::NodeId pv = c.param("v", random_tensor({s[0], s[3]}, 45));
    check_gradients(c, c.weighted_sum(c.add(OpKind::SpatialBroadcast, {px, pv})), {pv});
  }
}

TEST_CASE("loss adjoints match finite differences") {
  // The loss is 2.5 * loss_op(...), so the rules must honour an incoming g != 1.
  auto check_loss = [](OpKind op, Tensor scores, double smoothing = 0.0) {
    GraphCase c;
    const ir::NodeId ps = c.param("scores", std::move(scores));
    const ir::NodeId labels = c.labels_input(test::make_tensor({4}, {0, 3, 4, 1}));
    ir::Attrs a;
    a.smoothing = smoothing;
    const ir::NodeId loss = c.add(OpKind::Scale, {c.add(op, {ps, labels}, a)}, value_attr(2.5));
    check_gradients(c, loss, {ps});
  };
  SUBCASE("softmax_xent") { check_loss(OpKind::SoftmaxXent, random_tensor({4, 5}, 50, -2.0f, 2.0f)); }
  SUBCASE("prob_xent") { check_loss(OpKind::ProbXent, random_tensor({4, 5}, 51, 0.2f, 0.9f)); }
  SUBCASE("softmax_xent, label smoothing") { check_loss(OpKind::SoftmaxXent, random_tensor({4, 5}, 52, -2.0f, 2.0f), 0.2); }
  SUBCASE("prob_xent, label smoothing") { check_loss(OpKind::ProbXent, random_tensor({4, 5}, 53, 0.05f, 0.9f), 0.2); }
}

TEST_CASE("dropout adjoint matches finite differences with the step's mask") {
  GraphCase c;
  const ir::NodeId x = c.param("x", random_tensor({4, 6}, 60));
  ir::Attrs a;
  a.rate = 0.5;
  a.stream = 7;
  const ir::NodeId mask = c.add(OpKind::DropoutMask, {}, a, {4, 6});
  const ir::NodeId y = c.add(OpKind::Mul, {x, mask});
  check_gradients(c, c.weighted_sum(y), {x}, 1e-2, exec::StepContext{42, 3});
}

TEST_CASE("a batchnorm-like chain differentiates end to end") {
  // x (2,2,2,3) NHWC; statistics per channel over the 8 positions:
  // y = (x - mean) * rsqrt(var + eps) * gamma + beta.
  GraphCase c;
  const ir::Shape s{2, 2, 2, 3};
  const ir::NodeId x = c.param("x", random_tensor(s, 70));
  const ir::NodeId gamma = c.param("gamma", random_tensor({3}, 71, 0.5f, 1.5f));
  const ir::NodeId beta = c.param("beta", random_tensor({3}, 72));
  const ir::NodeId mean = c.add(OpKind::ChannelMean, {x});
  const ir::NodeId centered = c.add(OpKind::Add, {x, c.add(OpKind::Neg, {c.add(OpKind::ChannelBroadcast, {mean}, {}, s)})});
  ir::Attrs eps;
  eps.eps = 1e-3;
  const ir::NodeId inv = c.add(OpKind::Rsqrt, {c.add(OpKind::ChannelMean, {c.add(OpKind::Square, {centered})})}, eps);
  const ir::NodeId normed = c.add(OpKind::ChannelMul, {centered, inv});
  const ir::NodeId y = c.add(OpKind::BiasAdd, {c.add(OpKind::ChannelMul, {normed, gamma}), beta});
  check_gradients(c, c.weighted_sum(y), {x, gamma, beta}, 5e-3);
}

TEST_CASE("a small CNN differentiates end to end") {
  // x (2,6,6,1) -> conv 3x3 -> (2,4,4,2) -> tanh -> maxpool 2x2 -> (2,2,2,2)
  // -> reshape (2,8) -> matmul (8,3) + bias -> softmax_xent.
  GraphCase c;
  const ir::NodeId x = c.param("x", random_tensor({2, 6, 6, 1}, 80));
  const ir::NodeId k = c.param("conv/kernel", random_tensor({3, 3, 1, 2}, 81));
  const ir::NodeId w = c.param("dense/kernel", random_tensor({8, 3}, 82));
  const ir::NodeId b = c.param("dense/bias", random_tensor({3}, 83));
  const ir::NodeId conv = c.add(OpKind::Tanh, {c.add(OpKind::Conv2D, {x, k})});
  const ir::NodeId pooled = c.add(OpKind::MaxPool2D, {conv}, window(2, 2, ir::Padding::Valid));
  const ir::NodeId flat = c.add(OpKind::Reshape, {pooled}, {}, {2, 8});
  const ir::NodeId logits = c.add(OpKind::BiasAdd, {c.add(OpKind::MatMul, {flat, w}), b});
  const ir::NodeId loss = c.add(OpKind::SoftmaxXent, {logits, c.labels_input(test::make_tensor({2}, {2, 0}))});
  check_gradients(c, loss, {x, k, w, b}, 1e-3);
}

TEST_CASE("channel block adjoints match finite differences") {
  ir::Attrs at2;
  at2.offset = 2;
  SUBCASE("concat of images") { check_binary(OpKind::Concat, random_tensor({2, 3, 2, 3}, 40), random_tensor({2, 3, 2, 5}, 41)); }
  SUBCASE("concat of features") { check_binary(OpKind::Concat, random_tensor({3, 4}, 42), random_tensor({3, 1}, 43)); }
  SUBCASE("slice_channels") { check_unary(OpKind::SliceChannels, random_tensor({2, 3, 3, 7}, 44), at2, {2, 3, 3, 4}); }
  SUBCASE("pad_channels") { check_unary(OpKind::PadChannels, random_tensor({2, 3, 3, 4}, 45), at2, {2, 3, 3, 9}); }
}

TEST_CASE("dilated convolutions and counted padding: adjoints match finite differences") {
  auto dilated = [](ir::Attrs a, int dh, int dw) {
    a.dilation_h = dh;
    a.dilation_w = dw;
    return a;
  };
  SUBCASE("conv2d, dilation 2, valid") {
    check_binary(OpKind::Conv2D, random_tensor({2, 7, 7, 2}, 50), random_tensor({3, 3, 2, 3}, 51),
                 dilated(window(1, 1, ir::Padding::Valid), 2, 2));
  }
  SUBCASE("conv2d, dilation 2x3, same, stride 2") {
    check_binary(OpKind::Conv2D, random_tensor({2, 7, 8, 2}, 52), random_tensor({3, 3, 2, 3}, 53),
                 dilated(window(1, 2, ir::Padding::Same), 2, 3));
  }
  SUBCASE("conv2d, dilation 2, explicit, asymmetric") {
    ir::Attrs a = dilated(window(1, 1, ir::Padding::Explicit), 2, 2);
    a.pad_top = 2, a.pad_bottom = 1, a.pad_left = 0, a.pad_right = 3;
    check_binary(OpKind::Conv2D, random_tensor({1, 5, 6, 2}, 54), random_tensor({3, 3, 2, 2}, 55), a);
  }
  SUBCASE("depthwise, dilation 2, same, multiplier 2") {
    check_binary(OpKind::DepthwiseConv2D, random_tensor({2, 6, 6, 3}, 56), random_tensor({3, 3, 3, 2}, 57),
                 dilated(window(1, 1, ir::Padding::Same), 2, 2));
  }
  SUBCASE("avgpool counting padded cells, explicit and same") {
    ir::Attrs a = window(3, 1, ir::Padding::Explicit);
    a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = 1;
    a.count_pad = true;
    check_unary(OpKind::AvgPool2D, random_tensor({2, 5, 4, 3}, 58), a);
    ir::Attrs same = window(3, 2, ir::Padding::Same);
    same.count_pad = true;
    check_unary(OpKind::AvgPool2D, random_tensor({2, 5, 4, 3}, 59), same);
  }
}
