// The batch axis of a step graph (see batch_axis.hpp): propagated from the
// Inputs through the ops whose output rows are their input's rows.
#include "compiler/codegen/batch_axis.hpp"

namespace tl::codegen {

using ir::OpKind;

namespace {

/// The input whose rows become the node's rows, or -1 when the node's leading
/// axis is not an input's leading axis.
int row_source(const ir::Node& n) {
  switch (n.op) {
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
    case OpKind::Reshape:
    case OpKind::Softmax:
    case OpKind::Conv2D:
    case OpKind::Conv2DGradInput:
    case OpKind::MaxPool2D:
    case OpKind::MaxPool2DGrad:
    case OpKind::AvgPool2D:
    case OpKind::AvgPool2DGrad:
    case OpKind::GlobalMaxPool2D:
    case OpKind::GlobalMaxPool2DGrad:
    case OpKind::SoftmaxXentGrad:
    case OpKind::ProbXentGrad:
      return 0;
    case OpKind::ReluGrad:
    case OpKind::SigmoidGrad:
    case OpKind::TanhGrad:
    case OpKind::SoftmaxGrad:
      return 1;
    case OpKind::MatMul:
      return n.attrs.trans_a ? -1 : 0;
    case OpKind::Input:
    case OpKind::Param:
    case OpKind::State:
    case OpKind::Fill:
    case OpKind::ChannelSum:
    case OpKind::ChannelMean:
    case OpKind::ChannelBroadcast:
    case OpKind::Conv2DGradFilter:
    case OpKind::DropoutMask:
    case OpKind::SoftmaxXent:
    case OpKind::ProbXent:
    case OpKind::CountCorrect:
    case OpKind::AdamUpdate:
    case OpKind::SgdUpdate:
    case OpKind::MovingAverage:
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
    if (n.op == OpKind::DropoutMask || n.op == OpKind::ChannelBroadcast || n.op == OpKind::Fill)
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
