// The batch axis of a step graph (see batch_axis.hpp): propagated from the
// Inputs through the ops whose output rows are their input's rows.
#include "compiler/codegen/batch_axis.hpp"

#include "compiler/codegen/op_traits.hpp"
#include "compiler/codegen/step_plan.hpp"

namespace tl::codegen {

using ir::OpKind;

std::int64_t batch_of(const ir::Graph& graph) {
  for (const ir::Node& n : graph.nodes())
    if (n.op == OpKind::Input && !n.shape.empty()) return n.shape[0];
  return 0;
}

namespace {

/// Where a node may hold the batch: nowhere (weights, statistics, optimizer
/// slots, what is computed from them alone, and what reduces the batch
/// away: a weight's gradient X^T dY, a bias's channel sum, a loss), on its
/// leading axis only, or somewhere not known.
enum class Batch : std::uint8_t { None, Lead, Unknown };

}  // namespace

std::vector<bool> batched_nodes(const ir::Graph& graph) {
  const std::int64_t B = batch_of(graph);
  if (B == 0) return {};
  std::vector<Batch> where(graph.size(), Batch::None);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const ir::Node& n = graph.node(static_cast<ir::NodeId>(i));
    const KernelTraits traits = kernel_traits(graph, n);
    const bool leads = !n.shape.empty() && n.shape[0] == B;
    Batch w = Batch::None;
    if (n.op == OpKind::Input) {
      w = Batch::Lead;
    } else if (n.op == OpKind::DropoutMask || category(n.op) == ir::OpCategory::ChannelBroadcast) {
      // Shaped like the activations they meet (a broadcast is the adjoint of
      // a channel sum over an activation): the batch comes from the shape.
      // Fills are scalars (the loss's seed) or weight-shaped (a missing slot).
      w = leads ? Batch::Lead : Batch::None;
    } else if (traits.split.split == Split::Reduce) {
      w = Batch::None;
      for (ir::NodeId in : n.inputs)
        if (where[static_cast<std::size_t>(in)] == Batch::Unknown) w = Batch::Unknown;
    } else {
      // A node whose rows are its row source's keeps the batch on its
      // leading axis when every input holding the batch is read row by row
      // with it (an activation, a mask), not whole (a kernel, b of x·b).
      const bool source_leads = traits.row_source >= 0 &&
                                where[static_cast<std::size_t>(n.inputs[static_cast<std::size_t>(traits.row_source)])] == Batch::Lead;
      bool any = false, aligned = true;
      for (std::size_t k = 0; k < n.inputs.size(); ++k) {
        const Batch in = where[static_cast<std::size_t>(n.inputs[k])];
        if (in == Batch::None) continue;
        any = true;
        const bool by_rows = static_cast<int>(k) == traits.row_source || ((traits.aligned >> k) & 1u);
        aligned = aligned && in == Batch::Lead && by_rows;
      }
      if (any) w = source_leads && aligned && leads ? Batch::Lead : Batch::Unknown;
    }
    where[i] = w;
    // The batch size on any axis of a node that may hold the batch anywhere
    // makes it ambiguous: compile for the exact shapes. (A Lead node's other
    // axes come from inputs without the batch: a dense(128) layer's (B, 128)
    // output at batch 128 keeps the run-time batch.)
    if (w == Batch::Unknown)
      for (std::int64_t extent : n.shape)
        if (extent == B) return {};
  }
  std::vector<bool> batched(graph.size());
  for (std::size_t i = 0; i < graph.size(); ++i) batched[i] = where[i] == Batch::Lead;
  return batched;
}

}  // namespace tl::codegen
