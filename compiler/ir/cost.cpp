// FLOP counts per op (the convention is in cost.hpp).
#include "compiler/ir/cost.hpp"

#include <algorithm>
#include <stdexcept>

namespace tl::ir {

namespace {

/// Number of in-bounds input cells summed over every window position of one
/// axis (padded cells are skipped by pooling).
std::int64_t valid_cells(std::int64_t in, std::int64_t k, std::int64_t s, const WindowAxis& axis) {
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
  return x[0] * valid_cells(x[1], a.window_h, a.stride_h, window_rows(a, x[1], a.window_h)) *
         valid_cells(x[2], a.window_w, a.stride_w, window_cols(a, x[2], a.window_w)) * x[3];
}

/// 2 * B*OH*OW*O * KH*KW*I from the conv's output (or output gradient) `y`
/// (B,OH,OW,O) and its kernel shape `w` (KH,KW,I,O).
std::int64_t conv_flops(const Shape& y, const Shape& w) { return 2 * element_count(y) * w[0] * w[1] * w[2]; }

}  // namespace

std::int64_t flops(const Graph& graph, NodeId id) {
  const Node& n = graph.node(id);
  auto in = [&](std::size_t k) -> const Shape& { return graph.node(n.inputs[k]).shape; };
  const std::int64_t e = element_count(n.shape);
  switch (category(n.op)) {
    // Data movement, leaves and integer work (a dropout mask's Philox bits
    // select 0 or 1/(1-rate)).
    case OpCategory::Bound:
    case OpCategory::Generator:
    case OpCategory::ChannelBroadcast:
    case OpCategory::ChannelBlock:
    case OpCategory::Reshape:
      return 0;

    // Element by element: the table's count per output element (tanh: one
    // elementary function; relu, relu_grad: a comparison or select; rsqrt:
    // add eps, sqrt, divide; sigmoid: negate, exp, add 1, divide).
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
    case OpCategory::ChannelBinary:
      return op_info(n.op).flops * e;

    case OpCategory::ChannelReduce:
      switch (sub_op<ChannelReduceOp>(n.op)) {
        case ChannelReduceOp::ChannelSum: return element_count(in(0));
        case ChannelReduceOp::ChannelMean: return element_count(in(0)) + e;
      }
      break;

    // A weighted sum over the processes: one multiply-add per element each.
    case OpCategory::Collective: return 2 * e;

    case OpCategory::MatMul: {
      const std::int64_t k = n.attrs.trans_a ? in(0)[0] : in(0)[1];
      return 2 * e * k;
    }
    case OpCategory::Rows:
      switch (sub_op<RowsOp>(n.op)) {
        case RowsOp::Softmax: return 5 * e;      // row max, subtract, exp, row sum, divide
        case RowsOp::SoftmaxGrad: return 4 * e;  // sum(g * y) as multiply-adds, subtract, multiply
      }
      break;

    // A depthwise output element sums K*K taps of one input channel.
    case OpCategory::Conv:
      switch (sub_op<ConvOp>(n.op)) {
        case ConvOp::Conv2D: return conv_flops(n.shape, in(1));
        case ConvOp::DepthwiseConv2D: return 2 * e * in(1)[0] * in(1)[1];
      }
      break;
    case OpCategory::ConvGradInput:
      switch (sub_op<ConvGradInputOp>(n.op)) {
        case ConvGradInputOp::Conv2DGradInput: return conv_flops(in(0), in(1));
        case ConvGradInputOp::DepthwiseConv2DGradInput: return 2 * element_count(in(0)) * in(1)[0] * in(1)[1];
      }
      break;
    case OpCategory::ConvGradFilter:
      switch (sub_op<ConvGradFilterOp>(n.op)) {
        case ConvGradFilterOp::Conv2DGradFilter: return conv_flops(in(1), n.shape);
        case ConvGradFilterOp::DepthwiseConv2DGradFilter: return 2 * element_count(in(1)) * n.shape[0] * n.shape[1];
      }
      break;

    case OpCategory::Pool:
      switch (sub_op<PoolOp>(n.op)) {
        case PoolOp::MaxPool2D: return pool_cells(in(0), n.attrs);
        case PoolOp::AvgPool2D: return pool_cells(in(0), n.attrs) + e;  // sums, then divide
      }
      break;
    case OpCategory::PoolGrad: {
      // max: find each window's argmax, then route g; avg: spread g over the cells.
      const bool has_x = n.inputs.size() == 2;
      return pool_cells(has_x ? in(0) : n.shape, n.attrs) + element_count(in(n.inputs.size() - 1));
    }
    case OpCategory::GlobalPool: return element_count(in(0));
    case OpCategory::GlobalPoolGrad: return element_count(in(0)) + element_count(in(1));

    case OpCategory::Loss:
      switch (sub_op<LossOp>(n.op)) {
        // log-softmax per row (max, subtract, exp, sum per element; log, pick,
        // accumulate per row) and the mean's divide.
        case LossOp::SoftmaxXent: return 4 * element_count(in(0)) + 3 * in(0)[0] + 1;
        // clip (2 comparisons), log, accumulate per row; the mean's divide.
        case LossOp::ProbXent: return 4 * in(0)[0] + 1;
        case LossOp::CountCorrect: return element_count(in(0));  // argmax comparisons
      }
      break;
    case OpCategory::LossGrad:
      switch (sub_op<LossGradOp>(n.op)) {
        // softmax (5 per element), times g/B (1 per element), minus the one-hot
        // at the label (1 per row), g/B once.
        case LossGradOp::SoftmaxXentGrad: return 6 * e + in(0)[0] + 1;
        // clip (2), B * p, divide per row; -g / B once (negate, divide).
        case LossGradOp::ProbXentGrad: return 4 * in(0)[0] + 2;
      }
      break;

    case OpCategory::Update:
      switch (sub_op<UpdateOp>(n.op)) {
        // m = b1 m + (1-b1) g (3); v = b2 v + (1-b2) g^2 (4);
        // p -= lr_t m / (sqrt(v) + eps) (5).
        case UpdateOp::AdamUpdate: return 12 * e;
        // p -= lr g (2); v = mu v - lr g, p += v (4); nesterov p += mu v - lr g (7).
        case UpdateOp::SgdUpdate: return (n.attrs.nesterov ? 7 : n.attrs.momentum != 0.0 ? 4 : 2) * e;
        case UpdateOp::MovingAverage: return 3 * e;  // mu s + (1 - mu) x
      }
      break;
  }
  throw std::logic_error("flops: unknown op");
}

std::int64_t flops(const Graph& graph) {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < graph.size(); ++i) total += flops(graph, static_cast<NodeId>(i));
  return total;
}

}  // namespace tl::ir
