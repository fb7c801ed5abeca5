// Optimizer lowering: update nodes and slot States (see optimizer.hpp). The
// update arithmetic itself (Keras formulas) lives in the executors' kernels.
#include "compiler/lower/optimizer.hpp"

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

void append_updates(ir::Graph& graph, const autodiff::Gradients& grads, const OptimizerSpec& opt) {
  for (const auto& [param, grad] : grads.params) {
    // Copies: adding nodes may move the graph's storage.
    const std::string name = graph.node(param).name;
    const ir::Shape shape = graph.node(param).shape;
    const ir::Origin origin = graph.node(param).origin;
    if (graph.node(param).op != OpKind::Param)
      throw std::logic_error(fmt::format("optimizer: %{} '{}' is not a Param", param, name));

    ir::Node update{OpKind::AdamUpdate, {}, {}, {}, "update/" + name, origin};
    update.attrs.lr = opt.lr;
    switch (opt.kind) {
      case OptimizerSpec::Kind::Adam:
        update.attrs.beta1 = opt.beta1;
        update.attrs.beta2 = opt.beta2;
        update.attrs.eps = opt.eps;
        update.inputs = {param, grad, slot(graph, name + "/adam_m", shape, origin),
                         slot(graph, name + "/adam_v", shape, origin)};
        break;
      case OptimizerSpec::Kind::Sgd: {
        update.op = OpKind::SgdUpdate;
        update.attrs.momentum = opt.momentum;
        update.attrs.nesterov = opt.nesterov;
        const bool stateful = opt.momentum != 0.0 || opt.nesterov;
        const NodeId velocity = stateful ? slot(graph, name + "/momentum", shape, origin)
                                         : graph.add({OpKind::Fill, {}, shape, {}, name + "/no_momentum", origin});
        update.inputs = {param, grad, velocity};
        break;
      }
    }
    graph.add_effect(graph.add(std::move(update)));
  }
}

}  // namespace tl::lower
