// The batch axis of a step graph (see batch_axis.hpp): propagated from the
// Inputs through the ops whose output rows are their input's rows.
#include "compiler/codegen/batch_axis.hpp"

namespace tl::codegen {

using ir::OpKind;

namespace {

/// The input whose rows become the node's rows, or -1 when the node's leading
/// axis is not an input's leading axis.
int row_source(const ir::Node& n) {
  switch (category(n.op)) {
    case ir::OpCategory::Unary:
    case ir::OpCategory::Binary:
    case ir::OpCategory::ChannelBinary:
    case ir::OpCategory::Reshape:
    case ir::OpCategory::Conv:
    case ir::OpCategory::ConvGradInput:
    case ir::OpCategory::Pool:
    case ir::OpCategory::PoolGrad:
    case ir::OpCategory::GlobalPool:
    case ir::OpCategory::GlobalPoolGrad:
    case ir::OpCategory::LossGrad:
      return 0;
    case ir::OpCategory::Rows:
    case ir::OpCategory::ActivationGrad:
      return static_cast<int>(n.inputs.size()) - 1;  // the adjoint g (softmax's own input)
    case ir::OpCategory::MatMul:
      return n.attrs.trans_a ? -1 : 0;
    case ir::OpCategory::Bound:
    case ir::OpCategory::Generator:
    case ir::OpCategory::ChannelReduce:
    case ir::OpCategory::ChannelBroadcast:
    case ir::OpCategory::ConvGradFilter:
    case ir::OpCategory::Loss:
    case ir::OpCategory::Update:
      return -1;
  }
  return -1;
}

}  // namespace

std::int64_t batch_of(const ir::Graph& graph) {
  for (const ir::Node& n : graph.nodes())
    if (n.op == OpKind::Input && !n.shape.empty()) return n.shape[0];
  return 0;
}

std::vector<bool> batched_nodes(const ir::Graph& graph) {
  const std::int64_t B = batch_of(graph);
  if (B == 0) return {};
  std::vector<bool> batched(graph.size(), false);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const ir::Node& n = graph.node(static_cast<ir::NodeId>(i));
    const int source = row_source(n);
    bool rows = n.op == OpKind::Input;
    if (source >= 0) rows = batched[static_cast<std::size_t>(n.inputs[static_cast<std::size_t>(source)])];
    // Generated tensors shaped like activations (dropout masks, broadcasts,
    // fills) take the batch from their shape: no Param or State can have it.
    if (category(n.op) == ir::OpCategory::Generator || category(n.op) == ir::OpCategory::ChannelBroadcast)
      rows = !n.shape.empty() && n.shape[0] == B;
    rows = rows && !n.shape.empty() && n.shape[0] == B;
    batched[i] = rows;
    // The batch size anywhere else makes it ambiguous.
    for (std::size_t d = 0; d < n.shape.size(); ++d)
      if (n.shape[d] == B && !(d == 0 && rows)) return {};
  }
  return batched;
}

}  // namespace tl::codegen
