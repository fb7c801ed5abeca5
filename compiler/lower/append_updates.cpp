// Optimizer lowering: update nodes and slot States (see append_updates.hpp).
#include "compiler/lower/append_updates.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace tl::lower {

using ir::NodeId;
using ir::OpKind;

namespace {

/// The State called `name` with `shape`, created at the end of the graph if absent.
NodeId slot(ir::Graph& graph, const std::string& name, const ir::Shape& shape, ir::Origin origin) {
  const NodeId existing = graph.find_variable(name);
  if (existing >= 0) {
    if (graph.node(existing).op != OpKind::State || graph.node(existing).shape != shape)
      throw std::logic_error(fmt::format("optimizer: '{}' exists but is not a State of shape {}", name,
                                         ir::to_string(shape)));
    return existing;
  }
  return graph.add({OpKind::State, {}, shape, {}, name, origin});
}

}  // namespace

bool decays(const std::string& tensor) {
  const std::string_view name = tensor;
  const std::size_t slash = name.rfind('/');
  const std::string_view param = slash == std::string_view::npos ? name : name.substr(slash + 1);
  return param == "kernel" || param == "depthwise_kernel";
}

void append_updates(ir::Graph& graph, const autodiff::Gradients& grads, const ir::OptimizerSpec& opt) {
  for (const auto& [param, grad] : grads.params) {
    // Copies: adding nodes may move the graph's storage.
    const std::string name = graph.node(param).name;
    const ir::UpdateForm form = ir::update_form(opt, decays(name));
    const ir::Shape shape = graph.node(param).shape;
    const ir::Origin origin = graph.node(param).origin;
    if (graph.node(param).op != OpKind::Param)
      throw std::logic_error(fmt::format("optimizer: %{} '{}' is not a Param", param, name));
    ir::Node update{form.op, {param, grad}, {}, form.attrs, "update/" + name, origin};
    for (const std::string& suffix : form.slots)
      update.inputs.push_back(suffix.empty() ? graph.add({OpKind::Fill, {}, shape, {}, name + "/no_slot", origin})
                                             : slot(graph, name + "/" + suffix, shape, origin));
    graph.add_effect(graph.add(std::move(update)));
  }
}

}  // namespace tl::lower
