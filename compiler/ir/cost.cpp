// FLOP counts per op (the convention is in cost.hpp).
#include "compiler/ir/cost.hpp"

#include <algorithm>
#include <stdexcept>

namespace tl::ir {

namespace {

/// Number of in-bounds input cells summed over every window position of one
/// axis (padded cells are skipped by pooling).
std::int64_t valid_cells(std::int64_t in, std::int64_t k, std::int64_t s, Padding padding) {
  const WindowAxis axis = window_axis(in, k, s, padding);
  std::int64_t cells = 0;
  for (std::int64_t o = 0; o < axis.out; ++o) {
    const std::int64_t first = o * s - axis.pad_before;
    cells += std::min(first + k, in) - std::max<std::int64_t>(first, 0);
  }
  return cells;
}

/// Valid window cells of a 2-D pooling over `x` (B,H,W,C): the work of one
/// comparison or addition per cell.
std::int64_t pool_cells(const Shape& x, const Attrs& a) {
  return x[0] * valid_cells(x[1], a.window_h, a.stride_h, a.padding) *
         valid_cells(x[2], a.window_w, a.stride_w, a.padding) * x[3];
}

/// 2 * B*OH*OW*O * KH*KW*I from the conv's output (or output gradient) `y`
/// (B,OH,OW,O) and its kernel shape `w` (KH,KW,I,O).
std::int64_t conv_flops(const Shape& y, const Shape& w) { return 2 * element_count(y) * w[0] * w[1] * w[2]; }

}  // namespace

std::int64_t flops(const Graph& graph, NodeId id) {
  const Node& n = graph.node(id);
  auto in = [&](std::size_t k) -> const Shape& { return graph.node(n.inputs[k]).shape; };
  const std::int64_t e = element_count(n.shape);
  switch (n.op) {
    case OpKind::Input:
    case OpKind::Param:
    case OpKind::State:
    case OpKind::Fill:
    case OpKind::ChannelBroadcast:
    case OpKind::Reshape:
    case OpKind::DropoutMask:  // Philox bits select 0 or 1/(1-rate): integer work
      return 0;

    // One operation per output element (tanh: one elementary function;
    // relu, relu_grad: a comparison or select).
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Neg:
    case OpKind::Square:
    case OpKind::Scale:
    case OpKind::Relu:
    case OpKind::Tanh:
    case OpKind::BiasAdd:
    case OpKind::ChannelMul:
    case OpKind::ReluGrad:
      return e;
    case OpKind::Rsqrt: return 3 * e;    // add eps, sqrt, divide
    case OpKind::Sigmoid: return 4 * e;  // negate, exp, add 1, divide
    case OpKind::SigmoidGrad:            // g * y * (1 - y)
    case OpKind::TanhGrad:               // g * (1 - y^2)
      return 3 * e;

    case OpKind::ChannelSum: return element_count(in(0));
    case OpKind::ChannelMean: return element_count(in(0)) + e;

    case OpKind::MatMul: {
      const std::int64_t k = n.attrs.trans_a ? in(0)[0] : in(0)[1];
      return 2 * e * k;
    }
    case OpKind::Softmax: return 5 * e;      // row max, subtract, exp, row sum, divide
    case OpKind::SoftmaxGrad: return 4 * e;  // sum(g * y) as multiply-adds, subtract, multiply

    case OpKind::Conv2D: return conv_flops(n.shape, in(1));
    case OpKind::Conv2DGradInput: return conv_flops(in(0), in(1));
    case OpKind::Conv2DGradFilter: return conv_flops(in(1), n.shape);

    case OpKind::MaxPool2D: return pool_cells(in(0), n.attrs);
    case OpKind::MaxPool2DGrad: return pool_cells(in(0), n.attrs) + element_count(in(1));  // argmax, then route
    case OpKind::AvgPool2D: return pool_cells(in(0), n.attrs) + e;                        // sums, then divide
    case OpKind::AvgPool2DGrad: return pool_cells(n.shape, n.attrs) + element_count(in(0));
    case OpKind::GlobalMaxPool2D: return element_count(in(0));
    case OpKind::GlobalMaxPool2DGrad: return element_count(in(0)) + element_count(in(1));

    // Losses over (rows, M) scores: log-softmax per row (max, subtract, exp,
    // sum per element; log, pick, accumulate per row) and the mean's divide.
    case OpKind::SoftmaxXent: return 4 * element_count(in(0)) + 3 * in(0)[0] + 1;
    // softmax (5 per element), times g/B (1 per element), minus the one-hot
    // at the label (1 per row), g/B once.
    case OpKind::SoftmaxXentGrad: return 6 * e + in(0)[0] + 1;
    // clip (2 comparisons), log, accumulate per row; the mean's divide.
    case OpKind::ProbXent: return 4 * in(0)[0] + 1;
    // clip (2), B * p, divide per row; -g / B once (negate, divide).
    case OpKind::ProbXentGrad: return 4 * in(0)[0] + 2;
    case OpKind::CountCorrect: return element_count(in(0));  // argmax comparisons

    // m = b1 m + (1-b1) g (3); v = b2 v + (1-b2) g^2 (4);
    // p -= lr_t m / (sqrt(v) + eps) (5).
    case OpKind::AdamUpdate: return 12 * e;
    // p -= lr g (2); v = mu v - lr g, p += v (4); nesterov p += mu v - lr g (7).
    case OpKind::SgdUpdate:
      return (n.attrs.nesterov ? 7 : n.attrs.momentum != 0.0 ? 4 : 2) * e;
    case OpKind::MovingAverage: return 3 * e;  // mu s + (1 - mu) x
  }
  throw std::logic_error("flops: unknown op");
}

std::int64_t flops(const Graph& graph) {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < graph.size(); ++i) total += flops(graph, static_cast<NodeId>(i));
  return total;
}

}  // namespace tl::ir
