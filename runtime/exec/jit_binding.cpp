// Leaf binding and label checks for the JIT executor (see jit_binding.hpp).
#include "runtime/exec/jit_binding.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <stdexcept>

#include "runtime/exec/check_shape.hpp"

namespace tl::exec {

using codegen::StorageKind;
using ir::NodeId;
using ir::OpKind;

namespace {

/// Leaf slots the step writes in place (updated variables and optimizer slots).
std::set<int> written_leaves(const ir::Graph& graph, const codegen::StepPlan& plan) {
  std::set<int> slots;
  for (NodeId id : graph.effects()) {
    if (plan.where(id).kind == StorageKind::Leaf) slots.insert(plan.where(id).leaf);
    for (const codegen::Storage& s : plan.new_slots[static_cast<std::size_t>(id)])
      if (s.kind == StorageKind::Leaf) slots.insert(s.leaf);
  }
  return slots;
}

}  // namespace

void Binding::bind(const ir::Graph& graph, const codegen::StepPlan& plan, Variables& vars, const Feeds& feeds) {
  tensors.assign(plan.leaves.size(), nullptr);
  zeros.resize(plan.leaves.size());
  std::set<int> written;
  bool written_known = false;
  for (std::size_t slot = 0; slot < plan.leaves.size(); ++slot) {
    const ir::Node& n = graph.node(plan.leaves[slot]);
    if (n.op == OpKind::Input) {
      const bool images = n.attrs.role == ir::InputRole::Images;
      if (static_cast<int>(slot) == plan.byte_leaf) {  // bytes, scaled where the kernels read them
        check_shape(feeds.image_bytes->shape, n, "fed input");
        tensors[slot] = reinterpret_cast<float*>(const_cast<std::uint8_t*>(feeds.image_bytes->data));
        continue;
      }
      const Tensor* fed = images ? feeds.images : feeds.labels;
      if (fed == nullptr)
        throw std::runtime_error(fmt::format("input '{}' needs {} but none were fed", n.name, images ? "images" : "labels"));
      check_shape(*fed, n, "fed input");
      tensors[slot] = const_cast<float*>(fed->data());  // inputs are never written
      continue;
    }
    auto found = vars.tensors.find(n.name);
    if (found != vars.tensors.end()) {
      check_shape(found->second, n, "variable");
      tensors[slot] = found->second.data();
      continue;
    }
    if (n.op == OpKind::Param) throw std::runtime_error(fmt::format("parameter '{}' has no value", n.name));
    if (!written_known) {
      written = written_leaves(graph, plan);
      written_known = true;
    }
    const auto count = static_cast<std::size_t>(ir::element_count(n.shape));
    if (written.count(static_cast<int>(slot))) {  // optimizer slots and statistics start at zero
      Tensor& t = vars.tensors[n.name];
      t = Tensor::from_shape(std::vector<std::size_t>(n.shape.begin(), n.shape.end()));
      t.fill(0.0f);
      tensors[slot] = t.data();
    } else {
      zeros[slot].assign(count, 0.0f);
      tensors[slot] = zeros[slot].data();
    }
  }
}

void check_labels(const ir::Graph& graph, const codegen::StepPlan& plan, const Binding& binding) {
  std::set<NodeId> checked;
  for (const ir::Node& n : graph.nodes()) {
    if (category(n.op) != ir::OpCategory::Loss && category(n.op) != ir::OpCategory::LossGrad) continue;
    const NodeId labels = plan.alias_of[static_cast<std::size_t>(n.inputs[1])];
    const codegen::Storage& s = plan.where(labels);
    if (s.kind != StorageKind::Leaf || !checked.insert(labels).second) continue;
    const float* v = binding.tensors[static_cast<std::size_t>(s.leaf)];
    const std::int64_t rows = graph.node(n.inputs[0]).shape[0], classes = graph.node(n.inputs[0]).shape[1];
    for (std::int64_t r = 0; r < rows; ++r) {
      const bool index = v[r] >= 0.0f && v[r] < static_cast<float>(classes) && v[r] == std::floor(v[r]);
      if (!index)
        throw std::runtime_error(
            fmt::format("label {} of batch row {} is not a class index in [0, {})", v[r], r, classes));
    }
  }
}

}  // namespace tl::exec
