// Thread splitting, aligned reads and scratch sizes per op (see op_traits.hpp).
// Legend: B batch, C channels, M/N/K matmul extents.
#include "compiler/codegen/op_traits.hpp"

#include <stdexcept>
#include <string>

namespace tl::codegen {

using ir::OpKind;

namespace {

const ir::Shape& in_shape(const ir::Graph& g, const ir::Node& n, std::size_t i) {
  return g.node(n.inputs[i]).shape;
}

/// Per-last-axis rows: a rank-1 tensor is a single row.
std::int64_t row_extent(const ir::Shape& s) { return s.size() >= 2 ? s[0] : 1; }

}  // namespace

OpSplit op_split(const ir::Graph& g, const ir::Node& n) {
  const std::int64_t out_lead = leading(n.shape);
  switch (n.op) {
    case OpKind::Input:
    case OpKind::Param:
    case OpKind::State:
    case OpKind::Reshape:
      throw std::logic_error("op_split: leaves and reshapes have no kernel");
    case OpKind::ChannelSum:
    case OpKind::ChannelMean:
      return {Split::Reduce, row_extent(in_shape(g, n, 0)), out_lead};
    case OpKind::MatMul:
      if (n.attrs.trans_a) return {Split::Reduce, in_shape(g, n, 0)[0], out_lead};
      return {Split::Rows, out_lead, 1};
    case OpKind::Conv2DGradFilter:
      return {Split::Reduce, in_shape(g, n, 0)[0], out_lead};
    case OpKind::SoftmaxXent:
    case OpKind::ProbXent:
    case OpKind::CountCorrect:
      return {Split::Reduce, in_shape(g, n, 0)[0], 1};
    case OpKind::Softmax:
    case OpKind::SoftmaxGrad:
      return {Split::Rows, row_extent(n.shape), 1};
    case OpKind::Fill:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Neg:
    case OpKind::Square:
    case OpKind::Rsqrt:
    case OpKind::Scale:
    case OpKind::Relu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::BiasAdd:
    case OpKind::ChannelMul:
    case OpKind::ChannelBroadcast:
    case OpKind::Conv2D:
    case OpKind::Conv2DGradInput:
    case OpKind::MaxPool2D:
    case OpKind::MaxPool2DGrad:
    case OpKind::AvgPool2D:
    case OpKind::AvgPool2DGrad:
    case OpKind::GlobalMaxPool2D:
    case OpKind::GlobalMaxPool2DGrad:
    case OpKind::ReluGrad:
    case OpKind::SigmoidGrad:
    case OpKind::TanhGrad:
    case OpKind::DropoutMask:
    case OpKind::SoftmaxXentGrad:
    case OpKind::ProbXentGrad:
    case OpKind::AdamUpdate:
    case OpKind::SgdUpdate:
    case OpKind::MovingAverage:
      return {Split::Rows, out_lead, 1};
  }
  throw std::logic_error("op_split: unknown op");
}

bool reads_aligned(const ir::Graph& g, const ir::Node& n, std::size_t i) {
  const OpSplit s = op_split(g, n);
  const ir::Shape& in = in_shape(g, n, i);
  if (leading(in) != s.extent) return false;  // equal extents split a buffer at the same bytes
  switch (n.op) {
    case OpKind::BiasAdd:
    case OpKind::ChannelMul:
      return i == 0 || n.shape.size() == 1;  // the (C) operand is read whole unless it is the output's shape
    case OpKind::ChannelBroadcast:
      return n.shape.size() == 1;
    case OpKind::ChannelSum:
    case OpKind::ChannelMean:
    case OpKind::Softmax:
    case OpKind::SoftmaxGrad:
      return in.size() >= 2;
    case OpKind::MatMul:
      return i == 0 || (n.attrs.trans_a && !n.attrs.trans_b);  // b's rows are K only when not transposed
    case OpKind::Conv2D:
    case OpKind::Conv2DGradInput:
      return i == 0;  // the kernel w is read whole; g (grad input) and x are per image
    case OpKind::SoftmaxXentGrad:
    case OpKind::ProbXentGrad:
      return i < 2;  // logits/probs and labels per row; the scalar adjoint whole
    case OpKind::Conv2DGradFilter:
    case OpKind::SoftmaxXent:
    case OpKind::ProbXent:
    case OpKind::CountCorrect:
    case OpKind::MaxPool2D:
    case OpKind::MaxPool2DGrad:
    case OpKind::AvgPool2D:
    case OpKind::AvgPool2DGrad:
    case OpKind::GlobalMaxPool2D:
    case OpKind::GlobalMaxPool2DGrad:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Neg:
    case OpKind::Square:
    case OpKind::Rsqrt:
    case OpKind::Scale:
    case OpKind::Relu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::ReluGrad:
    case OpKind::SigmoidGrad:
    case OpKind::TanhGrad:
    case OpKind::AdamUpdate:
    case OpKind::SgdUpdate:
    case OpKind::MovingAverage:
      return true;
    case OpKind::Input:
    case OpKind::Param:
    case OpKind::State:
    case OpKind::Fill:
    case OpKind::Reshape:
    case OpKind::DropoutMask:
      return false;
  }
  return false;
}

std::int64_t scratch_bytes(const ir::Graph& g, const ir::Node& n) {
  switch (n.op) {
    case OpKind::ChannelSum:
    case OpKind::ChannelMean:
      return n.shape[0] * 8;  // double per channel
    case OpKind::MatMul:
      return ir::element_count(n.shape) * 4;  // float partial product
    case OpKind::Conv2DGradFilter:
      return ir::element_count(n.shape) * 12;  // double total + float per-image sum
    case OpKind::SoftmaxXent:
    case OpKind::ProbXent:
    case OpKind::CountCorrect:
      return 8;
    default:
      if (op_split(g, n).split == Split::Reduce)
        throw std::logic_error("scratch_bytes: no partial-sum size for " + std::string(ir::spelling(n.op)));
      return 0;
  }
}

bool streams_values(const ir::Graph& g, const ir::Node& n) {
  switch (n.op) {
    case OpKind::Conv2D:
    case OpKind::Conv2DGradInput:
    case OpKind::MaxPool2D:
    case OpKind::AvgPool2D:
    case OpKind::GlobalMaxPool2D:
    case OpKind::ChannelBroadcast:
    case OpKind::Fill:
    case OpKind::DropoutMask:
      return true;
    case OpKind::MatMul:
      return !n.attrs.trans_a;
    default:
      return is_elementwise(n.op);
  }
}

bool reads_generated(const ir::Graph& g, const ir::Node& c, std::size_t i, bool per_element) {
  const bool same_shape = g.node(c.inputs[i]).shape == c.shape;
  switch (c.op) {
    case OpKind::AdamUpdate:
    case OpKind::SgdUpdate:
    case OpKind::MovingAverage:
      return !per_element && i > 0 && same_shape;
    case OpKind::SoftmaxXentGrad:
    case OpKind::ProbXentGrad:
      return !per_element && i == 2;  // the scalar adjoint
    case OpKind::BiasAdd:
    case OpKind::ChannelMul:
      return i == 0 || !per_element;
    default:
      return is_elementwise(c.op) && same_shape;
  }
}

std::int64_t op_work(const ir::Graph& g, const ir::Node& n) {
  switch (n.op) {
    case OpKind::Conv2D: {
      const ir::Shape& w = in_shape(g, n, 1);
      return ir::element_count(n.shape) * w[0] * w[1] * w[2];
    }
    case OpKind::Conv2DGradInput:
      return ir::element_count(in_shape(g, n, 0)) * ir::element_count(in_shape(g, n, 1)) / in_shape(g, n, 1)[3];
    case OpKind::Conv2DGradFilter:
      return ir::element_count(in_shape(g, n, 1)) * ir::element_count(n.shape) / n.shape[3];
    case OpKind::MatMul: {
      const ir::Shape& a = in_shape(g, n, 0);
      return ir::element_count(n.shape) * (n.attrs.trans_a ? a[0] : a[1]);
    }
    default:
      return n.inputs.empty() ? ir::element_count(n.shape) : ir::element_count(in_shape(g, n, 0));
  }
}

}  // namespace tl::codegen
