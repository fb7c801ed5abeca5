// Every op of ops.def, JIT against the reference interpreter on random
// inputs, on 1, 2 and 3 threads (batches of 5 split unevenly): within 1e-5
// relative. Not bit for bit: conv and matmul use fused multiply-adds, and
// sums split between threads round differently (docs/reliability.md,
// Determinism). Geometry variants: conv valid/same/stride 2, pooling
// valid/same/overlapping, ties for the argmax ops.
#include <doctest/doctest.h>

#include <array>

#include <cmath>
#include <optional>

#include "compiler/ir/philox.hpp"
#include "tests/unit/graph_test_support.hpp"
#include "tests/unit/test_jit_support.hpp"

namespace {

using namespace tl;
using ir::OpKind;
using test::random_tensor;

/// op(params..., labels?) -> "y", compared on 1, 2 and 3 threads.
void check_op(OpKind op, std::vector<Tensor> params, ir::Attrs attrs = {}, ir::Shape shape = {},
              std::optional<Tensor> labels = std::nullopt) {
  test::GraphCase c;
  std::vector<ir::NodeId> ins;
  for (std::size_t i = 0; i < params.size(); ++i) ins.push_back(c.param("in" + std::to_string(i), std::move(params[i])));
  if (labels) ins.insert(ins.begin() + 1, c.labels_input(*labels));
  c.graph.set_output("y", c.add(op, ins, attrs, std::move(shape)));
  ir::verify(c.graph);
  exec::Feeds feeds;
  if (labels) feeds.labels = &c.labels;
  for (int threads : {1, 2, 3}) {
    CAPTURE(ir::spelling(op));
    test::Tolerance tol;
    tol.exact = false;
    test::check_jit_matches(c.graph, c.vars, feeds, threads, tol);
  }
}

ir::Attrs window(int kh, int kw, int sh, int sw, ir::Padding p) {
  ir::Attrs a;
  a.window_h = kh;
  a.window_w = kw;
  a.stride_h = sh;
  a.stride_w = sw;
  a.padding = p;
  return a;
}

ir::Attrs with_value(double v) {
  ir::Attrs a;
  a.value = v;
  a.eps = 1e-3;
  return a;
}

/// Values from a few levels only, so windows hold ties.
Tensor coarse(const ir::Shape& shape, std::uint64_t stream) {
  Tensor t = random_tensor(shape, stream);
  for (float& v : t) v = std::round(v * 2.0f);
  return t;
}

Tensor class_labels(std::int64_t n, std::int64_t classes) {
  Tensor t = random_tensor({n}, 77);
  for (std::int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<float>(i * 3 % classes);
  return t;
}

constexpr ir::Padding kValid = ir::Padding::Valid, kSame = ir::Padding::Same;

}  // namespace

TEST_CASE("jit: elementwise ops and activation gradients") {
  const ir::Shape s = {5, 3, 4, 2};
  for (OpKind op : {OpKind::Add, OpKind::Mul, OpKind::ReluGrad, OpKind::SigmoidGrad, OpKind::TanhGrad})
    check_op(op, {random_tensor(s, 1), random_tensor(s, 2)});
  for (OpKind op : {OpKind::Neg, OpKind::Square, OpKind::Relu, OpKind::Tanh})
    check_op(op, {random_tensor({5, 7}, 3, -3, 3)});
  check_op(OpKind::Sigmoid, {random_tensor({5, 7}, 4, -100, 100)});
  check_op(OpKind::Rsqrt, {random_tensor({5, 7}, 5, 0, 4)}, with_value(0));
  check_op(OpKind::Scale, {random_tensor({5, 7}, 6)}, with_value(-1.7));
  check_op(OpKind::Neg, {random_tensor({}, 7)});
  check_op(OpKind::Add, {random_tensor({}, 8), random_tensor({}, 9)});
  check_op(OpKind::Fill, {}, with_value(2.5), {5, 3});
  ir::Attrs alpha;
  alpha.alpha = 0.15;
  check_op(OpKind::LeakyRelu, {random_tensor({5, 7}, 10, -3, 3)}, alpha);
  check_op(OpKind::LeakyReluGrad, {random_tensor(s, 11), random_tensor(s, 12)}, alpha);
  check_op(OpKind::Gelu, {random_tensor({5, 7}, 13, -6, 6)});
  check_op(OpKind::GeluGrad, {random_tensor(s, 14, -6, 6), random_tensor(s, 15)});
  ir::Attrs bounds;
  bounds.lo = -0.5;
  bounds.hi = 1.5;
  check_op(OpKind::Clip, {random_tensor({5, 7}, 16, -3, 3)}, bounds);
  check_op(OpKind::ClipGrad, {random_tensor(s, 17, -1, 2), random_tensor(s, 18)}, bounds);
  ir::Attrs hard;
  hard.alpha = 0.2;
  hard.beta = 0.6;
  check_op(OpKind::HardSigmoid, {random_tensor({5, 7}, 19, -6, 6)}, hard);
  check_op(OpKind::HardSigmoidGrad, {random_tensor(s, 20, -0.5, 1.5), random_tensor(s, 21)}, hard);
  check_op(OpKind::HardSwish, {random_tensor({5, 7}, 22, -6, 6)});
  check_op(OpKind::HardSwishGrad, {random_tensor(s, 23, -6, 6), random_tensor(s, 24)});
  check_op(OpKind::Swish, {random_tensor({5, 7}, 25, -100, 100)});
  check_op(OpKind::SwishGrad, {random_tensor(s, 26, -30, 30), random_tensor(s, 27)});
}

TEST_CASE("jit: per-channel ops, reshape") {
  check_op(OpKind::BiasAdd, {random_tensor({5, 4, 6}, 1), random_tensor({6}, 2)});
  check_op(OpKind::ChannelMul, {random_tensor({5, 4, 6}, 3), random_tensor({6}, 4)});
  check_op(OpKind::BiasAdd, {random_tensor({6}, 5), random_tensor({6}, 6)});
  for (const ir::Shape& s : std::vector<ir::Shape>{{5, 4, 6}, {6}, {5, 1}, {7, 3}}) {
    check_op(OpKind::ChannelSum, {random_tensor(s, 7)});
    check_op(OpKind::ChannelMean, {random_tensor(s, 8)});
  }
  check_op(OpKind::ChannelBroadcast, {random_tensor({6}, 9)}, {}, {5, 2, 6});
  check_op(OpKind::ChannelBroadcast, {random_tensor({6}, 10)}, {}, {6});
  check_op(OpKind::ChannelSpread, {random_tensor({6}, 12)}, {}, {5, 2, 6});
  check_op(OpKind::ChannelSpread, {random_tensor({19}, 13)}, {}, {3, 19});
  check_op(OpKind::ChannelSpread, {random_tensor({6}, 14)}, {}, {6});
  check_op(OpKind::Reshape, {random_tensor({5, 4, 6}, 11)}, {}, {5, 24});
}

TEST_CASE("jit: channel blocks (concat, slice, pad), across vector boundaries") {
  // Channel counts below, at and across the vector width (16 lanes at most).
  for (const auto& [ca, cb] : std::vector<std::pair<std::int64_t, std::int64_t>>{{3, 5}, {16, 16}, {20, 7}, {1, 33}}) {
    CAPTURE(ca);
    CAPTURE(cb);
    check_op(OpKind::Concat, {random_tensor({5, 3, 2, ca}, 1), random_tensor({5, 3, 2, cb}, 2)});
    check_op(OpKind::Concat, {random_tensor({5, ca}, 3), random_tensor({5, cb}, 4)});
    ir::Attrs at;
    at.offset = static_cast<int>(ca);
    check_op(OpKind::SliceChannels, {random_tensor({5, 2, 3, ca + cb}, 5)}, at, {5, 2, 3, cb});
    check_op(OpKind::PadChannels, {random_tensor({5, 2, 3, cb}, 6)}, at, {5, 2, 3, ca + cb + 2});
    at.offset = 0;
    check_op(OpKind::SliceChannels, {random_tensor({3, 3, ca, cb + 1}, 7)}, at, {3, 3, ca, cb});  // a kernel's outputs
  }
}

TEST_CASE("jit: matmul in all four transpositions") {
  for (std::int64_t K : {7, 8}) {
    check_op(OpKind::MatMul, {random_tensor({5, K}, 1), random_tensor({K, 6}, 2)});
    ir::Attrs a;
    a.trans_b = true;
    check_op(OpKind::MatMul, {random_tensor({5, K}, 3), random_tensor({6, K}, 4)}, a);
    a.trans_a = true;
    check_op(OpKind::MatMul, {random_tensor({K, 5}, 5), random_tensor({6, K}, 6)}, a);
    a.trans_b = false;
    check_op(OpKind::MatMul, {random_tensor({K, 5}, 7), random_tensor({K, 6}, 8)}, a);
  }
  // Wide outputs: blocks of several column vectors (full groups in a loop,
  // then a rest whose last vector is masked) over 13 rows (blocks clamped).
  for (std::int64_t N : {64, 70, 150}) {
    CAPTURE(N);
    for (int t = 0; t < 4; ++t) {
      ir::Attrs a;
      a.trans_a = t & 1, a.trans_b = t & 2;
      const ir::Shape as = a.trans_a ? ir::Shape{9, 13} : ir::Shape{13, 9}, bs = a.trans_b ? ir::Shape{N, 9} : ir::Shape{9, N};
      check_op(OpKind::MatMul, {random_tensor(as, 10 + t), random_tensor(bs, 20 + t)}, a);
    }
  }
}

TEST_CASE("jit: softmax and its gradient") {
  check_op(OpKind::Softmax, {random_tensor({5, 7}, 1, -50, 50)});
  check_op(OpKind::Softmax, {random_tensor({7}, 2)});
  check_op(OpKind::SoftmaxGrad, {random_tensor({5, 7}, 3), random_tensor({5, 7}, 4)});
}

TEST_CASE("jit: conv2d and its gradients, valid, same and strided") {
  struct Geometry {
    ir::Shape x, w;
    int s;
    ir::Padding p;
  };
  const std::vector<Geometry> cases = {{{5, 7, 6, 2}, {3, 3, 2, 4}, 1, kValid}, {{5, 7, 6, 2}, {3, 3, 2, 4}, 1, kSame},
                                       {{5, 7, 6, 2}, {3, 3, 2, 4}, 2, kSame},  {{5, 7, 6, 2}, {3, 3, 2, 4}, 2, kValid},
                                       {{5, 6, 7, 3}, {2, 3, 3, 5}, 1, kSame},  {{5, 4, 4, 3}, {1, 1, 3, 9}, 1, kValid}};
  for (const Geometry& g : cases) {
    const ir::Attrs a = window(static_cast<int>(g.w[0]), static_cast<int>(g.w[1]), g.s, g.s, g.p);
    const ir::WindowAxis h = ir::window_axis(g.x[1], g.w[0], g.s, g.p), w = ir::window_axis(g.x[2], g.w[1], g.s, g.p);
    const ir::Shape out = {g.x[0], h.out, w.out, g.w[3]};
    check_op(OpKind::Conv2D, {random_tensor(g.x, 1), random_tensor(g.w, 2)}, a);
    check_op(OpKind::Conv2DGradInput, {random_tensor(out, 3), random_tensor(g.w, 4)}, a, g.x);
    check_op(OpKind::Conv2DGradFilter, {random_tensor(g.x, 5), random_tensor(out, 6)}, a);
  }
  // Grad filter register tiles (taps x channel vectors) of every kind: an
  // RGB input with 20 filters (27 taps of 2 vectors, the last one part of
  // one), 32 input channels (288 taps), 40 and 72 filters (3 and 5 vectors,
  // ragged: tiles of 3 and of 1), 64 filters over 7 channels (tiles of 4
  // vectors, 63 taps: a remainder tile), strided and same-padded.
  check_op(OpKind::Conv2DGradFilter, {random_tensor({3, 6, 6, 3}, 5), random_tensor({3, 6, 6, 20}, 6)},
           window(3, 3, 1, 1, kSame));
  check_op(OpKind::Conv2DGradFilter, {random_tensor({2, 5, 5, 32}, 5), random_tensor({2, 3, 3, 4}, 6)},
           window(3, 3, 1, 1, kValid));
  check_op(OpKind::Conv2DGradFilter, {random_tensor({2, 6, 5, 7}, 5), random_tensor({2, 6, 5, 40}, 6)},
           window(3, 3, 1, 1, kSame));
  check_op(OpKind::Conv2DGradFilter, {random_tensor({3, 7, 7, 7}, 5), random_tensor({3, 3, 3, 64}, 6)},
           window(3, 3, 2, 2, kValid));
  check_op(OpKind::Conv2DGradFilter, {random_tensor({2, 5, 6, 4}, 5), random_tensor({2, 3, 3, 72}, 6)},
           window(3, 3, 2, 2, kSame));
  // Inputs at least a tile wide keep each tile within one (kh, kw): 32
  // channels of 32 filters (tiles of 11, 11 and 10 channels) and 13 channels
  // of 40 filters (3 vectors: tiles of 7 and 6), valid and same.
  check_op(OpKind::Conv2DGradFilter, {random_tensor({2, 5, 6, 32}, 5), random_tensor({2, 3, 4, 32}, 6)},
           window(3, 3, 1, 1, kValid));
  check_op(OpKind::Conv2DGradFilter, {random_tensor({2, 6, 5, 13}, 5), random_tensor({2, 6, 5, 40}, 6)},
           window(3, 3, 1, 1, kSame));
}

/// Explicit padding: top, bottom, left, right.
ir::Attrs padded(int k, int s, std::array<int, 4> pads) {
  ir::Attrs a = window(k, k, s, s, ir::Padding::Explicit);
  a.pad_top = pads[0], a.pad_bottom = pads[1], a.pad_left = pads[2], a.pad_right = pads[3];
  return a;
}

TEST_CASE("jit: conv2d and its gradients with explicit, asymmetric padding") {
  struct Geometry {
    ir::Shape x, w;
    int s;
    std::array<int, 4> pads;
  };
  // PyTorch's padding = 1 at strides 1 and 2, one-sided pads, and ResNet's
  // 7x7 stem (strides 2, padding 3).
  const std::vector<Geometry> cases = {{{5, 7, 6, 2}, {3, 3, 2, 4}, 1, {1, 1, 1, 1}}, {{5, 7, 6, 2}, {3, 3, 2, 4}, 2, {1, 1, 1, 1}},
                                       {{5, 7, 6, 2}, {3, 3, 2, 4}, 1, {0, 2, 2, 0}}, {{5, 7, 6, 2}, {3, 3, 2, 4}, 2, {2, 1, 0, 1}},
                                       {{2, 12, 11, 3}, {7, 7, 3, 5}, 2, {3, 3, 3, 3}}};
  for (const Geometry& g : cases) {
    ir::Attrs a = padded(static_cast<int>(g.w[0]), g.s, g.pads);
    const ir::WindowAxis h = ir::window_rows(a, g.x[1], g.w[0]), w = ir::window_cols(a, g.x[2], g.w[1]);
    const ir::Shape out = {g.x[0], h.out, w.out, g.w[3]};
    CAPTURE(g.pads[0]);
    CAPTURE(g.pads[2]);
    check_op(OpKind::Conv2D, {random_tensor(g.x, 1), random_tensor(g.w, 2)}, a);
    check_op(OpKind::Conv2DGradInput, {random_tensor(out, 3), random_tensor(g.w, 4)}, a, g.x);
    check_op(OpKind::Conv2DGradFilter, {random_tensor(g.x, 5), random_tensor(out, 6)}, a);
  }
}

TEST_CASE("jit: depthwise conv2d and its gradients, multipliers 1 and 3") {
  struct Geometry {
    ir::Shape x, w;
    ir::Attrs a;
  };
  // 19 channels: two vectors and a masked tail at width 16, or three at 8.
  const std::vector<Geometry> cases = {{{3, 7, 6, 19}, {3, 3, 19, 1}, window(1, 1, 1, 1, kValid)},
                                       {{3, 7, 6, 19}, {3, 3, 19, 1}, window(1, 1, 1, 1, kSame)},
                                       {{3, 7, 6, 19}, {3, 3, 19, 1}, padded(3, 2, {1, 1, 1, 1})},
                                       {{3, 8, 7, 5}, {3, 3, 5, 3}, window(1, 1, 2, 2, kSame)},
                                       {{2, 6, 6, 4}, {5, 5, 4, 2}, padded(5, 1, {2, 2, 2, 2})},
                                       {{2, 6, 5, 3}, {2, 2, 3, 1}, padded(2, 2, {1, 0, 0, 1})},
                                       {{16, 4, 4, 8}, {3, 3, 8, 2}, window(1, 1, 2, 2, kSame)}};
  for (const Geometry& g : cases) {
    ir::Attrs a = g.a;
    a.window_h = static_cast<int>(g.w[0]), a.window_w = static_cast<int>(g.w[1]);
    const ir::WindowAxis h = ir::window_rows(a, g.x[1], g.w[0]), w = ir::window_cols(a, g.x[2], g.w[1]);
    const ir::Shape out = {g.x[0], h.out, w.out, g.x[3] * g.w[3]};
    CAPTURE(g.x[3]);
    CAPTURE(g.w[3]);
    check_op(OpKind::DepthwiseConv2D, {random_tensor(g.x, 1), random_tensor(g.w, 2)}, a);
    check_op(OpKind::DepthwiseConv2DGradInput, {random_tensor(out, 3), random_tensor(g.w, 4)}, a, g.x);
    check_op(OpKind::DepthwiseConv2DGradFilter, {random_tensor(g.x, 5), random_tensor(out, 6)}, a);
  }
}

TEST_CASE("jit: dilated conv2d and depthwise conv2d and their gradients") {
  struct Geometry {
    ir::Shape x, w;
    ir::Attrs a;
    int dh, dw;
  };
  // DeepLab-style 3x3 at dilation 2 (same, and PyTorch's padding = 2),
  // uneven dilations with strides, a 1-row kernel, and 26 channels (the
  // filter gradient's tiles within one (kh, kw)).
  const std::vector<Geometry> cases = {{{5, 9, 8, 3}, {3, 3, 3, 20}, window(1, 1, 1, 1, kSame), 2, 2},
                                       {{5, 9, 8, 3}, {3, 3, 3, 4}, padded(3, 1, {2, 2, 2, 2}), 2, 2},
                                       {{5, 9, 10, 2}, {3, 2, 2, 5}, window(1, 1, 2, 2, kValid), 2, 3},
                                       {{4, 11, 9, 3}, {3, 3, 3, 6}, window(1, 1, 2, 1, kSame), 3, 2},
                                       {{3, 6, 9, 4}, {1, 3, 4, 4}, padded(1, 1, {0, 0, 4, 4}), 1, 4},
                                       {{2, 9, 8, 26}, {3, 3, 26, 20}, window(1, 1, 1, 1, kSame), 2, 3}};
  for (const Geometry& g : cases) {
    ir::Attrs a = g.a;
    a.window_h = static_cast<int>(g.w[0]), a.window_w = static_cast<int>(g.w[1]);
    a.dilation_h = g.dh, a.dilation_w = g.dw;
    const ir::WindowAxis h = ir::window_rows(a, g.x[1], g.w[0]), w = ir::window_cols(a, g.x[2], g.w[1]);
    CAPTURE(g.dh);
    CAPTURE(g.dw);
    const ir::Shape out = {g.x[0], h.out, w.out, g.w[3]};
    check_op(OpKind::Conv2D, {random_tensor(g.x, 1), random_tensor(g.w, 2)}, a);
    check_op(OpKind::Conv2DGradInput, {random_tensor(out, 3), random_tensor(g.w, 4)}, a, g.x);
    check_op(OpKind::Conv2DGradFilter, {random_tensor(g.x, 5), random_tensor(out, 6)}, a);
    // Depthwise with multipliers 1 and 2 on the same geometry.
    for (std::int64_t m : {1, 2}) {
      const ir::Shape dw = {g.w[0], g.w[1], g.x[3], m};
      const ir::Shape dout = {g.x[0], h.out, w.out, g.x[3] * m};
      check_op(OpKind::DepthwiseConv2D, {random_tensor(g.x, 7), random_tensor(dw, 8)}, a);
      check_op(OpKind::DepthwiseConv2DGradInput, {random_tensor(dout, 9), random_tensor(dw, 10)}, a, g.x);
      check_op(OpKind::DepthwiseConv2DGradFilter, {random_tensor(g.x, 11), random_tensor(dout, 12)}, a);
    }
  }
}

TEST_CASE("jit: average pooling that counts padded cells") {
  const ir::Shape x = {5, 7, 6, 19};
  for (const auto& [k, s] : std::vector<std::pair<int, int>>{{3, 1}, {3, 2}, {2, 2}}) {
    for (const ir::Attrs& base : {padded(k, s, {1, 1, 1, 1}), padded(k, s, {0, 1, 1, 0}), window(k, k, s, s, kSame)}) {
      ir::Attrs a = base;
      a.count_pad = true;
      const ir::WindowAxis h = ir::window_rows(a, x[1], k), w = ir::window_cols(a, x[2], k);
      check_op(OpKind::AvgPool2D, {random_tensor(x, 4)}, a);
      check_op(OpKind::AvgPool2DGrad, {random_tensor({x[0], h.out, w.out, x[3]}, 5)}, a, x);
    }
  }
}

TEST_CASE("jit: pooling and its gradients with explicit, asymmetric padding") {
  const ir::Shape x = {5, 7, 6, 3};
  struct Geometry {
    int k, s;
    std::array<int, 4> pads;
  };
  // ResNet's max pool (3x3, strides 2, padding 1), and one-sided pads.
  for (const Geometry& g : {Geometry{3, 2, {1, 1, 1, 1}}, Geometry{2, 2, {0, 1, 0, 1}}, Geometry{3, 1, {2, 0, 0, 2}},
                            Geometry{2, 1, {1, 0, 1, 1}}}) {
    const ir::Attrs a = padded(g.k, g.s, g.pads);
    const ir::WindowAxis h = ir::window_rows(a, x[1], g.k), w = ir::window_cols(a, x[2], g.k);
    const ir::Shape out = {x[0], h.out, w.out, x[3]};
    check_op(OpKind::MaxPool2D, {coarse(x, 1)}, a);
    check_op(OpKind::MaxPool2DGrad, {coarse(x, 2), random_tensor(out, 3)}, a);
    check_op(OpKind::AvgPool2D, {random_tensor(x, 4)}, a);
    check_op(OpKind::AvgPool2DGrad, {random_tensor(out, 5)}, a, x);
  }
}

TEST_CASE("jit: pooling and its gradients, with ties") {
  struct Geometry {
    int k, s;
    ir::Padding p;
  };
  const ir::Shape x = {5, 7, 6, 3};
  for (const Geometry& g : {Geometry{2, 2, kValid}, Geometry{3, 1, kSame}, Geometry{2, 2, kSame}, Geometry{3, 2, kValid},
                            Geometry{2, 1, kValid}}) {
    const ir::Attrs a = window(g.k, g.k, g.s, g.s, g.p);
    const ir::WindowAxis h = ir::window_axis(x[1], g.k, g.s, g.p), w = ir::window_axis(x[2], g.k, g.s, g.p);
    const ir::Shape out = {x[0], h.out, w.out, x[3]};
    check_op(OpKind::MaxPool2D, {coarse(x, 1)}, a);
    check_op(OpKind::MaxPool2DGrad, {coarse(x, 2), random_tensor(out, 3)}, a);
    check_op(OpKind::AvgPool2D, {random_tensor(x, 4)}, a);
    check_op(OpKind::AvgPool2DGrad, {random_tensor(out, 5)}, a, x);
  }
  check_op(OpKind::GlobalMaxPool2D, {coarse({5, 3, 4, 3}, 6)});
  check_op(OpKind::GlobalMaxPool2DGrad, {coarse({5, 3, 4, 3}, 7), random_tensor({5, 3}, 8)});
  check_op(OpKind::GlobalAvgPool2D, {random_tensor({5, 3, 4, 19}, 9)});
  check_op(OpKind::GlobalSumPool2D, {random_tensor({5, 3, 4, 19}, 10)});
  check_op(OpKind::GlobalAvgPool2DGrad, {random_tensor({5, 3, 4, 19}, 11), random_tensor({5, 19}, 12)});
  check_op(OpKind::SpatialBroadcast, {random_tensor({5, 3, 4, 19}, 13), random_tensor({5, 19}, 14)});
}

TEST_CASE("jit: dropout masks are the reference's Philox draws") {
  for (const double rate : {0.3, 0.0, 0.5}) {
    for (const ir::Shape& s : std::vector<ir::Shape>{{5, 15}, {7}, {3, 5, 5, 2}}) {
      ir::Attrs a;
      a.rate = rate;
      a.stream = rng::stream_of("net/dropout");
      check_op(OpKind::DropoutMask, {}, a, s);
    }
  }
}

TEST_CASE("jit: losses and metrics") {
  const Tensor labels = class_labels(5, 7);
  check_op(OpKind::SoftmaxXent, {random_tensor({5, 7}, 1, -20, 20)}, {}, {}, labels);
  check_op(OpKind::SoftmaxXentGrad, {random_tensor({5, 7}, 2, -20, 20), random_tensor({}, 3)}, {}, {}, labels);
  Tensor probs = random_tensor({5, 7}, 4, 0, 1);
  probs.data()[0 * 7 + 0] = 0.0f;  // row 0's label (0) clipped below
  probs.data()[1 * 7 + 3] = 1.0f;  // row 1's label (3) clipped above
  check_op(OpKind::ProbXent, {probs}, {}, {}, labels);
  check_op(OpKind::ProbXentGrad, {probs, random_tensor({}, 5)}, {}, {}, labels);
  check_op(OpKind::CountCorrect, {coarse({5, 7}, 6)}, {}, {}, labels);
  ir::Attrs smoothed;  // label smoothing: every column of the gradient, every log in the loss
  smoothed.smoothing = 0.1;
  check_op(OpKind::SoftmaxXent, {random_tensor({5, 7}, 11, -20, 20)}, smoothed, {}, labels);
  check_op(OpKind::SoftmaxXentGrad, {random_tensor({5, 7}, 12, -20, 20), random_tensor({}, 13)}, smoothed, {}, labels);
  check_op(OpKind::ProbXent, {probs}, smoothed, {}, labels);
  check_op(OpKind::ProbXentGrad, {probs, random_tensor({}, 15)}, smoothed, {}, labels);
}

TEST_CASE("jit: optimizer updates and moving averages, committed over steps") {
  // Effects: new values and slots are written back; slots start absent (zero).
  auto updates = [](OpKind op, ir::Attrs attrs, bool fill_velocity) {
    test::GraphCase c;
    const ir::Shape s = {7, 5};
    const ir::NodeId p = c.param("w", random_tensor(s, 1));
    const ir::NodeId g = c.param("grad", random_tensor(s, 2));
    std::vector<ir::NodeId> ins = {p, g};
    if (op == OpKind::AdamUpdate) {
      ins.push_back(c.graph.add({OpKind::State, {}, s, {}, "w/adam_m", {}}));
      ins.push_back(c.graph.add({OpKind::State, {}, s, {}, "w/adam_v", {}}));
    } else if (op == OpKind::SgdUpdate) {
      ins.push_back(fill_velocity ? c.graph.add({OpKind::Fill, {}, s, {}, "no_momentum", {}})
                                  : c.graph.add({OpKind::State, {}, s, {}, "w/momentum", {}}));
    } else {
      ins = {c.graph.add({OpKind::State, {}, s, {}, "moving_mean", {}}), g};
    }
    c.graph.add_effect(c.add(op, ins, attrs));
    c.graph.set_output("grad_sum", c.add(OpKind::ChannelSum, {g}));
    for (int threads : {1, 2, 3}) {
      test::Tolerance tol;
      tol.exact = false;
      test::check_jit_matches(c.graph, c.vars, {}, threads, tol, 3);
    }
  };
  ir::Attrs adam;
  adam.lr = 1e-2;
  adam.beta1 = 0.9;
  adam.beta2 = 0.999;
  adam.eps = 1e-7;
  updates(OpKind::AdamUpdate, adam, false);
  adam.decay = 0.05;  // AdamW: a second step scalar
  updates(OpKind::AdamUpdate, adam, false);
  adam.l2 = 0.01;
  updates(OpKind::AdamUpdate, adam, false);
  ir::Attrs sgd;
  sgd.lr = 0.1;
  updates(OpKind::SgdUpdate, sgd, true);
  sgd.momentum = 0.9;
  updates(OpKind::SgdUpdate, sgd, false);
  sgd.nesterov = true;
  updates(OpKind::SgdUpdate, sgd, false);
  sgd.l2 = 0.02;
  updates(OpKind::SgdUpdate, sgd, false);
  sgd.decay = 0.1;
  updates(OpKind::SgdUpdate, sgd, true);
  ir::Attrs avg;
  avg.momentum = 0.99;
  updates(OpKind::MovingAverage, avg, false);
}
