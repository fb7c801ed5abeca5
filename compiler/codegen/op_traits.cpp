// The planner's view of each category's kernel (see op_traits.hpp), in one
// switch. Legend: B batch, C channels, M/N/K matmul extents.
#include "compiler/codegen/op_traits.hpp"

#include <stdexcept>
#include <string>

namespace tl::codegen {

using ir::OpCategory;

namespace {

const ir::Shape& in_shape(const ir::Graph& g, const ir::Node& n, std::size_t i) {
  return g.node(n.inputs[i]).shape;
}

/// Per-last-axis rows: a rank-1 tensor is a single row.
std::int64_t row_extent(const ir::Shape& s) { return s.size() >= 2 ? s[0] : 1; }

/// Bits of the inputs [first, arity).
std::uint32_t inputs_from(const ir::Node& n, std::size_t first) {
  std::uint32_t bits = 0;
  for (std::size_t i = first; i < n.inputs.size(); ++i) bits |= 1u << i;
  return bits;
}

/// Bits of the inputs [first, arity) shaped like the node itself.
std::uint32_t same_shaped(const ir::Graph& g, const ir::Node& n, std::size_t first) {
  std::uint32_t bits = 0;
  for (std::size_t i = first; i < n.inputs.size(); ++i)
    if (in_shape(g, n, i) == n.shape) bits |= 1u << i;
  return bits;
}

}  // namespace

KernelTraits kernel_traits(const ir::Graph& g, const ir::Node& n) {
  KernelTraits t;
  const std::int64_t out_lead = leading(n.shape);
  t.split = {Split::Rows, out_lead, 1};
  t.work = n.inputs.empty() ? ir::element_count(n.shape) : ir::element_count(in_shape(g, n, 0));  // one pass
  switch (category(n.op)) {
    case OpCategory::Bound:
      t.has_kernel = false;
      return t;
    case OpCategory::Reshape:
      t.has_kernel = false;
      t.row_source = 0;
      return t;
    case OpCategory::Generator:
      t.streams = true;
      return t;
    // Element by element: any input of the node's shape may be generated where read.
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
      t.streams = true;
      t.aligned = inputs_from(n, 0);
      t.generated = t.generated_here = same_shaped(g, n, 0);
      t.row_source = category(n.op) == OpCategory::ActivationGrad ? 1 : 0;  // the adjoint g
      return t;
    // x (...,C) with c (C): c is read whole unless it is the output's shape;
    // a dropout mask can only be x (c is read at the channel, not the element).
    case OpCategory::ChannelBinary:
      t.streams = true;
      t.aligned = n.shape.size() == 1 ? 0b11u : 0b01u;
      t.generated = 0b11u;
      t.generated_here = 0b01u;
      t.row_source = 0;
      return t;
    case OpCategory::ChannelBroadcast:
      t.streams = true;
      t.aligned = n.shape.size() == 1 ? 0b1u : 0u;
      return t;
    // Copies by rows of the output's leading axis (a vector is one row):
    // every input has the same rows.
    case OpCategory::ChannelBlock:
      t.split = {Split::Rows, row_extent(n.shape), 1};
      t.aligned = n.shape.size() >= 2 ? inputs_from(n, 0) : 0u;
      t.row_source = 0;
      return t;
    case OpCategory::ChannelReduce:
      t.split = {Split::Reduce, row_extent(in_shape(g, n, 0)), out_lead};
      t.scratch = n.shape[0] * 8;  // double per channel
      t.aligned = in_shape(g, n, 0).size() >= 2 ? 0b1u : 0u;
      return t;
    // The host combines the vector over the processes on thread 0 (MPI may
    // be called from the main thread only); barriers on both sides.
    case OpCategory::Collective:
      t.split = {Split::Single, 1, 1};
      return t;
    case OpCategory::MatMul: {
      const ir::Shape& a = in_shape(g, n, 0);
      if (n.attrs.trans_a) t.split = {Split::Reduce, a[0], out_lead};
      t.scratch = ir::element_count(n.shape) * 4;  // float partial product
      t.streams = !n.attrs.trans_a;
      t.work = ir::element_count(n.shape) * (n.attrs.trans_a ? a[0] : a[1]);
      t.aligned = n.attrs.trans_a && !n.attrs.trans_b ? 0b11u : 0b01u;  // b's rows are K only when not transposed
      t.row_source = n.attrs.trans_a ? -1 : 0;
      return t;
    }
    case OpCategory::Rows:
      t.split = {Split::Rows, row_extent(n.shape), 1};
      t.aligned = in_shape(g, n, 0).size() >= 2 ? inputs_from(n, 0) : 0u;
      t.row_source = static_cast<int>(n.inputs.size()) - 1;  // softmax's x, softmax_grad's g
      return t;
    case OpCategory::Conv: {
      const ir::Shape& w = in_shape(g, n, 1);
      t.streams = true;
      t.work = ir::element_count(n.shape) * w[0] * w[1] * (n.op == OpKind::DepthwiseConv2D ? 1 : w[2]);
      t.aligned = 0b01u;  // the kernel w is read whole
      t.row_source = 0;
      // conv2d under padding: one image inside zero borders (emit_conv.cpp)
      if (n.op == OpKind::Conv2D && n.attrs.padding != ir::Padding::Valid) {
        const std::int64_t rows = (n.shape[1] - 1) * n.attrs.stride_h + (w[0] - 1) * n.attrs.dilation_h + 1;
        const std::int64_t cols = (n.shape[2] - 1) * n.attrs.stride_w + (w[1] - 1) * n.attrs.dilation_w + 1;
        t.buffer = rows * cols * w[2] * 4;
      }
      return t;
    }
    case OpCategory::ConvGradInput:
      t.streams = true;
      t.work = ir::element_count(in_shape(g, n, 0)) * in_shape(g, n, 1)[0] * in_shape(g, n, 1)[1] *
               (n.op == OpKind::DepthwiseConv2DGradInput ? 1 : in_shape(g, n, 1)[2]);
      t.aligned = 0b01u;  // g per image, the kernel whole
      t.row_source = 0;
      // conv2d's transposed kernel, packed per thread: (K,K,O) rows of the
      // input channels rounded up to whole vectors (16 lanes at most); then
      // one image of g, spread over zeros (emit_conv.cpp's gradient tile).
      if (n.op == OpKind::Conv2DGradInput) {
        const ir::Shape& w = in_shape(g, n, 1);
        const std::int64_t rows = n.shape[1] + (w[0] - 1) * n.attrs.dilation_h;
        const std::int64_t cols = n.shape[2] + (w[1] - 1) * n.attrs.dilation_w;
        t.buffer = w[0] * w[1] * w[3] * ((w[2] + 15) / 16 * 16) * 4 + rows * cols * w[3] * 4;
      }
      return t;
    case OpCategory::ConvGradFilter:
      t.split = {Split::Reduce, in_shape(g, n, 0)[0], out_lead};
      t.scratch = ir::element_count(n.shape) * 12;  // double total + float per-image sum
      if (n.op == OpKind::Conv2DGradFilter && n.attrs.padding != ir::Padding::Valid) {
        // then a padded image: x's pixels inside zero borders (emit_conv.cpp)
        const ir::Shape& go = in_shape(g, n, 1);
        const std::int64_t rows = (go[1] - 1) * n.attrs.stride_h + (n.shape[0] - 1) * n.attrs.dilation_h + 1;
        const std::int64_t cols = (go[2] - 1) * n.attrs.stride_w + (n.shape[1] - 1) * n.attrs.dilation_w + 1;
        t.scratch += rows * cols * n.shape[2] * 4;
      }
      t.work = ir::element_count(in_shape(g, n, 1)) * n.shape[0] * n.shape[1] *
               (n.op == OpKind::DepthwiseConv2DGradFilter ? 1 : n.shape[2]);
      t.aligned = inputs_from(n, 0);
      return t;
    case OpCategory::Pool:
    case OpCategory::GlobalPool:
      t.streams = true;
      t.aligned = inputs_from(n, 0);
      t.row_source = 0;
      return t;
    case OpCategory::PoolGrad:
    case OpCategory::GlobalPoolGrad:
      t.aligned = inputs_from(n, 0);
      t.row_source = 0;
      return t;
    case OpCategory::Loss:
      t.split = {Split::Reduce, in_shape(g, n, 0)[0], 1};
      t.scratch = 8;
      t.aligned = inputs_from(n, 0);
      return t;
    case OpCategory::LossGrad:
      t.aligned = 0b011u;     // scores and labels per row; the scalar adjoint whole
      t.generated = 0b100u;   // the scalar adjoint may be a fill
      t.row_source = 0;
      return t;
    case OpCategory::Update:
      t.aligned = inputs_from(n, 0);
      t.generated = same_shaped(g, n, 1);  // gradients and slots (plain SGD's zero velocity)
      return t;
  }
  throw std::logic_error("kernel_traits: unknown category");
}

OpSplit op_split(const ir::Graph& g, const ir::Node& n) {
  const KernelTraits t = kernel_traits(g, n);
  if (!t.has_kernel) throw std::logic_error("op_split: leaves and reshapes have no kernel");
  return t.split;
}

bool reads_aligned(const ir::Graph& g, const ir::Node& n, std::size_t i) {
  const KernelTraits t = kernel_traits(g, n);
  // Equal extents split a buffer at the same bytes.
  return t.has_kernel && leading(in_shape(g, n, i)) == t.split.extent && ((t.aligned >> i) & 1u);
}

std::int64_t scratch_bytes(const ir::Graph& g, const ir::Node& n) {
  const KernelTraits t = kernel_traits(g, n);
  return t.split.split == Split::Reduce ? t.scratch : t.buffer;
}

bool streams_values(const ir::Graph& g, const ir::Node& n) { return kernel_traits(g, n).streams; }

bool reads_generated(const ir::Graph& g, const ir::Node& c, std::size_t i, bool per_element) {
  const KernelTraits t = kernel_traits(g, c);
  return ((per_element ? t.generated_here : t.generated) >> i) & 1u;
}

std::int64_t op_work(const ir::Graph& g, const ir::Node& n) { return kernel_traits(g, n).work; }

}  // namespace tl::codegen
