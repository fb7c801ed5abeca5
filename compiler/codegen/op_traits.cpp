// Thread splitting, aligned reads and scratch sizes per op (see op_traits.hpp).
// Legend: B batch, C channels, M/N/K matmul extents.
#include "compiler/codegen/op_traits.hpp"

#include <stdexcept>
#include <string>

namespace tl::codegen {

using ir::OpCategory;
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
  switch (category(n.op)) {
    case OpCategory::Bound:
    case OpCategory::Reshape:
      throw std::logic_error("op_split: leaves and reshapes have no kernel");
    case OpCategory::ChannelReduce:
      return {Split::Reduce, row_extent(in_shape(g, n, 0)), out_lead};
    case OpCategory::MatMul:
      if (n.attrs.trans_a) return {Split::Reduce, in_shape(g, n, 0)[0], out_lead};
      return {Split::Rows, out_lead, 1};
    case OpCategory::ConvGradFilter:
      return {Split::Reduce, in_shape(g, n, 0)[0], out_lead};
    case OpCategory::Loss:
      return {Split::Reduce, in_shape(g, n, 0)[0], 1};
    case OpCategory::Rows:
      return {Split::Rows, row_extent(n.shape), 1};
    case OpCategory::Generator:
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
    case OpCategory::ChannelBinary:
    case OpCategory::ChannelBroadcast:
    case OpCategory::Conv:
    case OpCategory::ConvGradInput:
    case OpCategory::Pool:
    case OpCategory::PoolGrad:
    case OpCategory::GlobalPool:
    case OpCategory::GlobalPoolGrad:
    case OpCategory::LossGrad:
    case OpCategory::Update:
      return {Split::Rows, out_lead, 1};
  }
  throw std::logic_error("op_split: unknown op");
}

bool reads_aligned(const ir::Graph& g, const ir::Node& n, std::size_t i) {
  const OpSplit s = op_split(g, n);
  const ir::Shape& in = in_shape(g, n, i);
  if (leading(in) != s.extent) return false;  // equal extents split a buffer at the same bytes
  switch (category(n.op)) {
    case OpCategory::ChannelBinary:
      return i == 0 || n.shape.size() == 1;  // the (C) operand is read whole unless it is the output's shape
    case OpCategory::ChannelBroadcast:
      return n.shape.size() == 1;
    case OpCategory::ChannelReduce:
    case OpCategory::Rows:
      return in.size() >= 2;
    case OpCategory::MatMul:
      return i == 0 || (n.attrs.trans_a && !n.attrs.trans_b);  // b's rows are K only when not transposed
    case OpCategory::Conv:
    case OpCategory::ConvGradInput:
      return i == 0;  // the kernel w is read whole; g (grad input) and x are per image
    case OpCategory::LossGrad:
      return i < 2;  // logits/probs and labels per row; the scalar adjoint whole
    case OpCategory::ConvGradFilter:
    case OpCategory::Loss:
    case OpCategory::Pool:
    case OpCategory::PoolGrad:
    case OpCategory::GlobalPool:
    case OpCategory::GlobalPoolGrad:
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
    case OpCategory::Update:
      return true;
    case OpCategory::Bound:
    case OpCategory::Generator:
    case OpCategory::Reshape:
      return false;
  }
  return false;
}

std::int64_t scratch_bytes(const ir::Graph& g, const ir::Node& n) {
  switch (category(n.op)) {
    case OpCategory::ChannelReduce:
      return n.shape[0] * 8;  // double per channel
    case OpCategory::MatMul:
      return ir::element_count(n.shape) * 4;  // float partial product
    case OpCategory::ConvGradFilter:
      return ir::element_count(n.shape) * 12;  // double total + float per-image sum
    case OpCategory::Loss:
      return 8;
    case OpCategory::Bound:
    case OpCategory::Generator:
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
    case OpCategory::ChannelBinary:
    case OpCategory::ChannelBroadcast:
    case OpCategory::Reshape:
    case OpCategory::Rows:
    case OpCategory::Conv:
    case OpCategory::ConvGradInput:
    case OpCategory::Pool:
    case OpCategory::PoolGrad:
    case OpCategory::GlobalPool:
    case OpCategory::GlobalPoolGrad:
    case OpCategory::LossGrad:
    case OpCategory::Update:
      return 0;  // not a Reduce split: no partial sums
  }
  return 0;
}

bool streams_values(const ir::Graph& g, const ir::Node& n) {
  switch (category(n.op)) {
    case OpCategory::Generator:
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
    case OpCategory::ChannelBinary:
    case OpCategory::ChannelBroadcast:
    case OpCategory::Conv:
    case OpCategory::ConvGradInput:
    case OpCategory::Pool:
    case OpCategory::GlobalPool:
      return true;
    case OpCategory::MatMul:
      return !n.attrs.trans_a;
    case OpCategory::Bound:
    case OpCategory::ChannelReduce:
    case OpCategory::Reshape:
    case OpCategory::Rows:
    case OpCategory::ConvGradFilter:
    case OpCategory::PoolGrad:
    case OpCategory::GlobalPoolGrad:
    case OpCategory::Loss:
    case OpCategory::LossGrad:
    case OpCategory::Update:
      return false;
  }
  return false;
}

bool reads_generated(const ir::Graph& g, const ir::Node& c, std::size_t i, bool per_element) {
  const bool same_shape = g.node(c.inputs[i]).shape == c.shape;
  switch (category(c.op)) {
    case OpCategory::Update:
      return !per_element && i > 0 && same_shape;
    case OpCategory::LossGrad:
      return !per_element && i == 2;  // the scalar adjoint
    case OpCategory::ChannelBinary:
      return i == 0 || !per_element;
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
      return same_shape;
    case OpCategory::Bound:
    case OpCategory::Generator:
    case OpCategory::ChannelBroadcast:
    case OpCategory::ChannelReduce:
    case OpCategory::Reshape:
    case OpCategory::MatMul:
    case OpCategory::Rows:
    case OpCategory::Conv:
    case OpCategory::ConvGradInput:
    case OpCategory::ConvGradFilter:
    case OpCategory::Pool:
    case OpCategory::PoolGrad:
    case OpCategory::GlobalPool:
    case OpCategory::GlobalPoolGrad:
    case OpCategory::Loss:
      return false;
  }
  return false;
}

std::int64_t op_work(const ir::Graph& g, const ir::Node& n) {
  const std::int64_t streamed = n.inputs.empty() ? ir::element_count(n.shape) : ir::element_count(in_shape(g, n, 0));
  switch (category(n.op)) {
    case OpCategory::Conv: {
      const ir::Shape& w = in_shape(g, n, 1);
      return ir::element_count(n.shape) * w[0] * w[1] * w[2];
    }
    case OpCategory::ConvGradInput:
      return ir::element_count(in_shape(g, n, 0)) * ir::element_count(in_shape(g, n, 1)) / in_shape(g, n, 1)[3];
    case OpCategory::ConvGradFilter:
      return ir::element_count(in_shape(g, n, 1)) * ir::element_count(n.shape) / n.shape[3];
    case OpCategory::MatMul: {
      const ir::Shape& a = in_shape(g, n, 0);
      return ir::element_count(n.shape) * (n.attrs.trans_a ? a[0] : a[1]);
    }
    case OpCategory::Bound:
    case OpCategory::Generator:
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
    case OpCategory::ChannelBinary:
    case OpCategory::ChannelBroadcast:
    case OpCategory::ChannelReduce:
    case OpCategory::Reshape:
    case OpCategory::Rows:
    case OpCategory::Pool:
    case OpCategory::PoolGrad:
    case OpCategory::GlobalPool:
    case OpCategory::GlobalPoolGrad:
    case OpCategory::Loss:
    case OpCategory::LossGrad:
    case OpCategory::Update:
      return streamed;  // one pass over the input (or output, for generators)
  }
  return streamed;
}

}  // namespace tl::codegen
