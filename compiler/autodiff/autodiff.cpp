// The backward sweep: which nodes get adjoints, in which order, and how
// contributions are summed. The per-op rules are in rules.cpp.
#include "compiler/autodiff/autodiff.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "compiler/autodiff/rules.hpp"

namespace tl::autodiff {

using ir::NodeId;
using ir::OpKind;

Gradients differentiate(ir::Graph& graph, NodeId loss, const std::vector<NodeId>& wrt) {
  if (loss < 0 || static_cast<std::size_t>(loss) >= graph.size())
    throw std::logic_error(fmt::format("autodiff: loss %{} is not in the graph", loss));
  if (!graph.node(loss).shape.empty())
    throw std::logic_error(
        fmt::format("autodiff: loss %{} has shape {}, expected ()", loss, ir::to_string(graph.node(loss).shape)));
  // Nodes after the loss cannot influence it: only ids 0..loss take part.
  const auto count = static_cast<std::size_t>(loss) + 1;

  // 1. Forward: which nodes depend on some wrt node.
  std::vector<bool> from_wrt(count, false);
  for (NodeId p : wrt) {
    if (p < 0 || static_cast<std::size_t>(p) >= graph.size())
      throw std::logic_error(fmt::format("autodiff: wrt %{} is not in the graph", p));
    if (static_cast<std::size_t>(p) < count) from_wrt[static_cast<std::size_t>(p)] = true;
  }
  for (std::size_t id = 0; id < count; ++id)
    for (NodeId in : graph.node(static_cast<NodeId>(id)).inputs)
      if (from_wrt[static_cast<std::size_t>(in)]) from_wrt[id] = true;

  // 2. Backward: of those, which lie on a path to the loss. Only these get
  //    adjoints, which prunes everything below the lowest wrt node.
  std::vector<bool> active(count, false);
  active[count - 1] = from_wrt[count - 1];
  for (std::size_t id = count; id-- > 0;) {
    if (!active[id]) continue;
    for (NodeId in : graph.node(static_cast<NodeId>(id)).inputs)
      if (from_wrt[static_cast<std::size_t>(in)]) active[static_cast<std::size_t>(in)] = true;
  }
  if (!active[count - 1]) return {};

  // 3. Seed d loss / d loss = 1, then sweep users before their inputs (reverse
  //    id order), so each adjoint is complete before its rule runs.
  std::vector<NodeId> adjoint(count, -1);
  ir::Node seed{OpKind::Fill, {}, {}, {}, grad_name(graph, loss), graph.node(loss).origin};
  seed.attrs.value = 1.0;
  adjoint[count - 1] = graph.add(std::move(seed));

  for (std::size_t id = count; id-- > 0;) {
    if (!active[id] || adjoint[id] < 0) continue;
    const auto self = static_cast<NodeId>(id);
    const std::vector<NodeId> inputs = graph.node(self).inputs;
    std::vector<bool> needed(inputs.size());
    bool any = false;
    for (std::size_t i = 0; i < inputs.size(); ++i) any |= needed[i] = active[static_cast<std::size_t>(inputs[i])];
    if (!any) continue;

    Rule rule(graph, self, adjoint[id], needed);
    apply_rule(rule);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const NodeId c = rule.contributions()[i];
      if (c < 0) continue;
      NodeId& acc = adjoint[static_cast<std::size_t>(inputs[i])];
      acc = acc < 0 ? c
                    : graph.add({OpKind::Add, {acc, c}, {}, {}, grad_name(graph, inputs[i]), graph.node(self).origin});
    }
  }

  // 4. Collect the wrt gradients (a wrt node the loss ignores has none).
  Gradients result;
  for (NodeId p : wrt)
    if (static_cast<std::size_t>(p) < count && adjoint[static_cast<std::size_t>(p)] >= 0)
      result.params.emplace_back(p, adjoint[static_cast<std::size_t>(p)]);
  return result;
}

}  // namespace tl::autodiff
