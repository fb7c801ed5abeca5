// The batch axis of a step graph (see batch_axis.hpp): propagated from the
// Inputs through the ops whose output rows are their input's rows.
#include "compiler/codegen/batch_axis.hpp"

#include "compiler/codegen/op_traits.hpp"

namespace tl::codegen {

using ir::OpKind;

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
    const int source = kernel_traits(graph, n).row_source;
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
