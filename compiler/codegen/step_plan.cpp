// The planning pipeline (see step_plan.hpp): kernels, fusion, buffers; and
// its dump for `tlc --emit=fused`.
#include "compiler/codegen/step_plan.hpp"

#include <fmt/format.h>

#include <map>
#include <stdexcept>

#include "compiler/codegen/batch_axis.hpp"
#include "compiler/codegen/op_traits.hpp"
#include "compiler/ir/optimizer.hpp"

namespace tl::codegen {

using ir::NodeId;
using ir::OpKind;

void form_kernels(const ir::Graph& graph, StepPlan& plan) {
  const std::size_t count = graph.size();
  plan.kernel_of.assign(count, -1);
  plan.alias_of.resize(count);
  plan.storage.assign(count, {});
  plan.new_slots.assign(count, {});
  plan.scratch_of.assign(count, -1);
  plan.argmax.assign(count, {});
  plan.argmax_of.assign(count, -1);
  plan.scalar_of.assign(count, -1);
  // Leaves bound to the same tensor (same variable name, or the same feed)
  // share one slot, so in-place updates and barriers see one buffer.
  std::map<std::string, NodeId> bound;
  for (std::size_t i = 0; i < count; ++i) {
    const auto id = static_cast<NodeId>(i);
    const ir::Node& n = graph.node(id);
    plan.alias_of[i] = id;
    const ir::OpCategory c = category(n.op);
    if (c == ir::OpCategory::Bound) {
      const std::string what = n.op == OpKind::Input ? fmt::format("feed {}", static_cast<int>(n.attrs.role)) : n.name;
      const auto [it, fresh] = bound.emplace(what, id);
      if (fresh) {
        plan.storage[i] = {StorageKind::Leaf, static_cast<int>(plan.leaves.size()), 0};
        plan.leaves.push_back(id);
        if (n.op == OpKind::Input && plan.batch == 0) plan.batch = leading(n.shape);
      } else if (graph.node(it->second).shape != n.shape || graph.node(it->second).op != n.op) {
        throw std::logic_error(fmt::format("plan: leaves %{} and %{} share '{}' but differ", it->second, id, n.name));
      } else {
        plan.alias_of[i] = it->second;
      }
    } else if (c == ir::OpCategory::Reshape) {
      plan.alias_of[i] = plan.alias_of[static_cast<std::size_t>(n.inputs[0])];
    } else {  // every other node computes: a kernel of its own, fused later
      plan.kernel_of[i] = static_cast<int>(plan.kernels.size());
      plan.kernels.push_back({KernelKind::Op, {id}});
      plan.work += op_work(graph, n);
      if (const int scalars = ir::step_scalar_count(n.op, n.attrs); scalars > 0) {
        plan.scalar_of[i] = plan.scalar_count;
        plan.scalar_count += scalars;
      }
    }
  }
}

bool root_streams(const StepPlan& plan, const ir::Graph& graph, NodeId id) {
  const ir::Node& n = graph.node(id);
  if (streams_values(graph, n)) return true;
  if (n.op != OpKind::MaxPool2DGrad || plan.argmax_of[static_cast<std::size_t>(id)] < 0) return false;
  const ir::Attrs& a = n.attrs;
  return a.padding == ir::Padding::Valid && a.stride_h == a.window_h && a.stride_w == a.window_w &&
         n.shape[1] % a.window_h == 0 && n.shape[2] % a.window_w == 0;
}

SinkMode sink_mode(const StepPlan& plan, const ir::Graph& graph, const Kernel& kernel) {
  if (kernel.kind != KernelKind::Op || kernel.nodes.empty()) return SinkMode::None;
  const ir::Node& root = graph.node(kernel.nodes.front());
  if (op_split(graph, root).split != Split::Rows || root.shape.size() < 2) return SinkMode::None;
  switch (category(root.op)) {
    case ir::OpCategory::Unary:
    case ir::OpCategory::Binary:
    case ir::OpCategory::ActivationGrad:
    case ir::OpCategory::ChannelBinary:
    case ir::OpCategory::ChannelBroadcast: return root.shape.back() > 1 ? SinkMode::Epilogue : SinkMode::None;
    case ir::OpCategory::Conv:
    case ir::OpCategory::ConvGradInput:
      return root.op == OpKind::Conv2D || root.op == OpKind::Conv2DGradInput ? SinkMode::Epilogue : SinkMode::Chunks;
    case ir::OpCategory::PoolGrad:  // from the argmax, each cell once
      return root_streams(plan, graph, kernel.nodes.front()) && root.shape.back() > 1 ? SinkMode::Epilogue : SinkMode::None;
    case ir::OpCategory::Bound:
    case ir::OpCategory::Generator:
    case ir::OpCategory::ChannelReduce:
    case ir::OpCategory::Collective:
    case ir::OpCategory::ChannelBlock:
    case ir::OpCategory::Reshape:
    case ir::OpCategory::MatMul:
    case ir::OpCategory::Rows:
    case ir::OpCategory::ConvGradFilter:
    case ir::OpCategory::Pool:
    case ir::OpCategory::GlobalPool:
    case ir::OpCategory::GlobalPoolGrad:
    case ir::OpCategory::Loss:
    case ir::OpCategory::LossGrad:
    case ir::OpCategory::Update: return SinkMode::None;
  }
  return SinkMode::None;
}

bool is_sink(const StepPlan& plan, const ir::Graph& graph, NodeId id) {
  const int k = plan.kernel_of[static_cast<std::size_t>(id)];
  if (k < 0) return false;
  const Kernel& kernel = plan.kernels[static_cast<std::size_t>(k)];
  return kernel.kind == KernelKind::Op && kernel.nodes.front() != id && category(graph.node(id).op) == ir::OpCategory::ChannelReduce;
}

bool reads_input(const StepPlan& plan, const ir::Graph& graph, NodeId node, std::size_t i) {
  return !(i == 0 && graph.node(node).op == OpKind::MaxPool2DGrad && plan.argmax_of[static_cast<std::size_t>(node)] >= 0);
}

void schedule(const ir::Graph& graph, StepPlan& plan) {
  // A kernel's combine runs just before the first kernel that reads one of
  // its Reduce nodes, or at the end.
  const std::size_t kernels = plan.kernels.size();
  std::vector<std::vector<int>> combines_before(kernels + 1);
  for (std::size_t k = 0; k < kernels; ++k) {
    std::size_t reader = kernels;
    bool reduces = false;
    for (NodeId n : plan.kernels[k].nodes) {
      if (op_split(graph, graph.node(n)).split != Split::Reduce) continue;
      reduces = true;
      for (std::size_t j = k + 1; j < reader; ++j)
        for (NodeId m : plan.kernels[j].nodes)
          for (NodeId in : graph.node(m).inputs)
            if (plan.alias_of[static_cast<std::size_t>(in)] == n) reader = std::min(reader, j);
    }
    if (reduces) combines_before[reader].push_back(static_cast<int>(k));
  }
  plan.passes.clear();
  for (std::size_t k = 0; k <= kernels; ++k) {
    for (int c : combines_before[k]) plan.passes.push_back({c, true, false, 0});
    if (k < kernels) plan.passes.push_back({static_cast<int>(k), false, false, 0});
  }
}

StepPlan plan_step(const ir::Graph& graph, const StepOptions& options) {
  StepPlan plan;
  plan.options = options;
  form_kernels(graph, plan);
  if (options.byte_images)
    for (std::size_t slot = 0; slot < plan.leaves.size(); ++slot) {
      const ir::Node& n = graph.node(plan.leaves[slot]);
      if (n.op != OpKind::Input || n.attrs.role != ir::InputRole::Images) continue;
      plan.byte_leaf = static_cast<int>(slot);
      plan.image_scale = plan.scalar_count++;
      plan.image_offset = plan.scalar_count++;
    }
  plan.batched = batched_nodes(graph);
  fuse(graph, plan);
  schedule(graph, plan);
  place_buffers(graph, plan);
  return plan;
}

namespace {

std::string storage_text(const StepPlan& plan, const ir::Graph& graph, NodeId id) {
  const Storage& s = plan.where(id);
  switch (s.kind) {
    case StorageKind::None: return "";
    case StorageKind::Generated: return " (generated)";
    case StorageKind::Leaf: return " -> " + graph.node(plan.leaves[static_cast<std::size_t>(s.leaf)]).name;
    case StorageKind::Arena: return fmt::format(" -> arena+{}", s.offset);
  }
  return "";
}

const char* kind_name(KernelKind kind) {
  switch (kind) {
    case KernelKind::Op: return "";
    case KernelKind::ConvPool: return " conv-pool:";
    case KernelKind::PoolGrads: return " pool grads:";
    case KernelKind::LossHead: return " loss head:";
    case KernelKind::Updates: return " updates:";
  }
  return "";
}

}  // namespace

std::string pass_label(const StepPlan& plan, const ir::Graph& graph, std::size_t index) {
  const Pass& pass = plan.passes[index];
  std::string label;
  for (NodeId id : plan.kernels[static_cast<std::size_t>(pass.kernel)].nodes) {
    if (pass.combine && op_split(graph, graph.node(id)).split != Split::Reduce) continue;
    label += (label.empty() ? "" : "+") + std::string(ir::spelling(graph.node(id).op));
  }
  return label + (pass.combine ? " combine" : "");
}

std::string describe(const StepPlan& plan, const ir::Graph& graph) {
  int barriers = 0;
  for (const Pass& p : plan.passes) barriers += p.barrier_before ? 1 : 0;
  std::string out = fmt::format("# {} kernels in {} passes, {} barriers, arena {} bytes, scratch {} bytes/thread\n",
                                plan.kernels.size(), plan.passes.size(), barriers, plan.arena_bytes, plan.scratch_stride);
  if (plan.byte_leaf >= 0)
    out += fmt::format("# input '{}' is fed as bytes: the kernels that read it load bytes and map them (pixel * scale + offset)\n",
                       graph.node(plan.leaves[static_cast<std::size_t>(plan.byte_leaf)]).name);
  for (const Pass& pass : plan.passes) {
    if (pass.barrier_before) out += "barrier\n";
    const Kernel& kernel = plan.kernels[static_cast<std::size_t>(pass.kernel)];
    out += fmt::format("{} {}{}", pass.combine ? "combine" : "kernel ", pass.kernel, kind_name(kernel.kind));
    const char* sep = " ";
    for (NodeId id : kernel.nodes) {
      const ir::Node& n = graph.node(id);
      const bool reduce = op_split(graph, n).split == Split::Reduce;
      if (pass.combine && !reduce) continue;
      const std::string split = reduce ? (pass.combine ? "" : " partial") : "";
      out += fmt::format("{}{} %{}{}{}", sep, ir::spelling(n.op), id, split,
                         pass.combine || !reduce ? storage_text(plan, graph, id) : "");
      if (!pass.combine && plan.argmax[static_cast<std::size_t>(id)].kind == StorageKind::Arena)
        out += fmt::format(" (argmax -> arena+{})", plan.argmax[static_cast<std::size_t>(id)].offset);
      if (plan.argmax_of[static_cast<std::size_t>(id)] >= 0)
        out += fmt::format(" (by the argmax of %{})", plan.argmax_of[static_cast<std::size_t>(id)]);
      sep = " + ";
    }
    out += '\n';
  }
  return out;
}

}  // namespace tl::codegen
