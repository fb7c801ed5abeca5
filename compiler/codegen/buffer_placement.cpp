// Storage and synchronisation of a step plan (step_plan.hpp, place_buffers):
//   1. updates write their variable (and optimizer slots) in place when no
//      later pass reads it;
//   2. a computed value gets an arena buffer when another kernel, an output,
//      a commit or its own emitter needs it in memory;
//   3. barriers: a pass waits for the others when it touches a buffer that
//      another thread may have written (or still read) since the last barrier;
//   4. arena offsets: two buffers share bytes only if their phase intervals
//      (writer's phase .. last reader's phase) are disjoint;
//   5. each Reduce node gets its own per-thread scratch, a kernel's in a row.
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "compiler/codegen/op_traits.hpp"
#include "compiler/codegen/step_plan.hpp"
#include "compiler/ir/optimizer.hpp"

namespace tl::codegen {

using ir::NodeId;
using ir::OpKind;

namespace {

constexpr int kForever = std::numeric_limits<int>::max();
constexpr std::int64_t kWhole = -1;    // any row may be touched
constexpr std::int64_t kPrivate = -2;  // the thread's own scratch

std::int64_t align64(std::int64_t bytes) { return (bytes + 63) / 64 * 64; }
std::size_t position(NodeId id) { return static_cast<std::size_t>(id); }

/// One buffer touched by a pass: `extent` >= 0 when only the thread's own rows
/// of that many are touched. Node ids name memory roots; scratch_buffer and
/// argmax_buffer (step_plan.hpp) name the others.
struct Access {
  NodeId buffer;
  std::int64_t extent;
  bool write;
};

struct Placement {
  const ir::Graph& graph;
  StepPlan& plan;
  std::vector<std::vector<int>> readers;  // memory root -> main passes reading it
  std::vector<std::vector<int>> argmax_readers;  // max pool -> main passes reading its argmax
  std::set<NodeId> outputs, kept;         // memory roots of outputs / of committed effects
  std::map<NodeId, int> effect_targets;   // variable root -> number of effects writing it
  std::vector<int> main_pass;             // kernel -> index of its main pass

  NodeId root(NodeId id) const { return plan.alias_of[position(id)]; }
  const Kernel& kernel_of(NodeId id) const {
    return plan.kernels[static_cast<std::size_t>(plan.kernel_of[position(id)])];
  }
  bool reduce(NodeId id) const { return op_split(graph, graph.node(id)).split == Split::Reduce; }

  void index() {
    main_pass.assign(plan.kernels.size(), -1);
    for (std::size_t p = 0; p < plan.passes.size(); ++p)
      if (!plan.passes[p].combine) main_pass[static_cast<std::size_t>(plan.passes[p].kernel)] = static_cast<int>(p);
    readers.assign(graph.size(), {});
    auto add = [](std::vector<int>& list, int p) {
      if (std::find(list.begin(), list.end(), p) == list.end()) list.push_back(p);
    };
    argmax_readers.assign(graph.size(), {});
    for (std::size_t k = 0; k < plan.kernels.size(); ++k)
      for (NodeId n : plan.kernels[k].nodes) {
        const ir::Node& node = graph.node(n);
        for (std::size_t i = 0; i < node.inputs.size(); ++i)
          if (reads_input(plan, graph, n, i)) add(readers[position(root(node.inputs[i]))], main_pass[k]);
        if (const NodeId pool = plan.argmax_of[position(n)]; pool >= 0) add(argmax_readers[position(pool)], main_pass[k]);
      }
    for (const auto& [name, id] : graph.outputs()) outputs.insert(root(id));
    for (NodeId e : graph.effects()) ++effect_targets[root(graph.node(e).inputs[0])];
  }

  /// The variable `var` (a Param/State leaf) may be overwritten by pass `p`.
  bool writable_in_place(NodeId var, int p) const {
    const ir::Node& v = graph.node(var);
    if (plan.storage[position(var)].kind != StorageKind::Leaf || (v.op != OpKind::Param && v.op != OpKind::State)) return false;
    if (outputs.count(var)) return false;
    for (int r : readers[position(var)])
      if (r > p) return false;
    return true;
  }

  // 1. In-place updates and their new optimizer slots.
  void place_updates() {
    for (NodeId e : graph.effects()) {
      const ir::Node& u = graph.node(e);
      const int p = main_pass[static_cast<std::size_t>(plan.kernel_of[position(e)])];
      const NodeId var = root(u.inputs[0]);
      if (effect_targets[var] == 1 && writable_in_place(var, p)) plan.alias_of[position(e)] = var;
      kept.insert(root(e));
      const auto slots = static_cast<std::size_t>(ir::slot_count(u.op));
      if (slots == 0) continue;
      plan.new_slots[position(e)].assign(slots, {});
      for (std::size_t s = 0; s < slots; ++s) {
        const NodeId slot = root(u.inputs[2 + s]);
        if (graph.node(slot).op != OpKind::State) continue;  // plain SGD's zero velocity is not kept
        if (effect_targets.count(slot) == 0 && writable_in_place(slot, p))
          plan.new_slots[position(e)][s] = plan.storage[position(slot)];
        else
          plan.new_slots[position(e)][s] = {StorageKind::Arena, -1, -1};  // offset assigned in step 4
      }
    }
  }

  // 2. Which computed values live in memory.
  bool needs_memory(NodeId id) const {
    if (outputs.count(id) || kept.count(id) || reduce(id)) return true;
    const Kernel& k = kernel_of(id);
    if (k.kind == KernelKind::Op && id == k.nodes.front() && !root_streams(plan, graph, id)) return true;
    if (k.kind == KernelKind::Updates) return true;
    if (sink_mode(plan, graph, k) == SinkMode::Chunks)  // a sink reads it back chunk by chunk
      for (NodeId m : k.nodes)
        if (is_sink(plan, graph, m) && root(graph.node(m).inputs[0]) == id) return true;
    for (std::size_t i = 0; i < graph.size(); ++i) {  // a reader outside the kernel
      const ir::Node& n = graph.node(static_cast<NodeId>(i));
      for (std::size_t k = 0; k < n.inputs.size(); ++k)
        if (root(n.inputs[k]) == id && plan.kernel_of[i] != plan.kernel_of[position(id)] &&
            reads_input(plan, graph, static_cast<NodeId>(i), k))
          return true;
    }
    return false;
  }

  void mark_memory() {
    for (std::size_t i = 0; i < graph.size(); ++i)
      if (plan.kernel_of[i] >= 0 && root(static_cast<NodeId>(i)) == static_cast<NodeId>(i) &&
          needs_memory(static_cast<NodeId>(i)))
        plan.storage[i] = {StorageKind::Arena, -1, 0};
  }

  bool in_memory(NodeId id) const {
    const StorageKind k = plan.where(id).kind;
    return k == StorageKind::Arena || k == StorageKind::Leaf;
  }

  std::vector<Access> accesses(const Pass& pass) const {
    const Kernel& kernel = plan.kernels[static_cast<std::size_t>(pass.kernel)];
    std::vector<Access> list;
    for (NodeId n : kernel.nodes) {
      const ir::Node& node = graph.node(n);
      const OpSplit s = op_split(graph, node);
      const bool is_reduce = s.split == Split::Reduce;
      if (pass.combine) {
        if (!is_reduce) continue;
        list.push_back({scratch_buffer(n), kWhole, false});
        list.push_back({root(n), s.out_extent, true});
        continue;
      }
      for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        const NodeId r = root(node.inputs[i]);
        if (plan.kernel_of[position(r)] == pass.kernel || !in_memory(r) || !reads_input(plan, graph, n, i)) continue;
        list.push_back({r, reads_aligned(graph, node, i) ? s.extent : kWhole, false});
      }
      if (const NodeId pool = plan.argmax_of[position(n)]; pool >= 0) list.push_back({argmax_buffer(graph, pool), s.extent, false});
      if (plan.argmax[position(n)].kind == StorageKind::Arena) list.push_back({argmax_buffer(graph, n), s.extent, true});
      if (is_reduce) {
        list.push_back({scratch_buffer(n), kPrivate, true});
        continue;
      }
      if (in_memory(n)) list.push_back({root(n), s.split == Split::Single ? kWhole : s.extent, true});
      for (std::size_t i = 0; i < plan.new_slots[position(n)].size(); ++i)
        if (plan.new_slots[position(n)][i].kind == StorageKind::Leaf) list.push_back({root(node.inputs[2 + i]), s.extent, true});
    }
    return list;
  }

  // 3. Barriers and phases.
  void place_barriers() {
    int phase = 0;
    std::map<NodeId, std::vector<Access>> seen;  // since the last barrier
    auto conflicts = [&](const Access& a) {
      for (const Access& b : seen[a.buffer])
        if ((a.write || b.write) && !(a.extent >= 0 && a.extent == b.extent)) return true;
      return false;
    };
    for (Pass& pass : plan.passes) {
      const std::vector<Access> list = accesses(pass);
      if (std::any_of(list.begin(), list.end(), conflicts)) {
        pass.barrier_before = true;
        ++phase;
        seen.clear();
      }
      pass.phase = phase;
      for (const Access& a : list) seen[a.buffer].push_back(a);
    }
    plan.phases = phase + 1;
  }

  // 4. Arena buffers with phase liveness.
  void place_arena() {
    struct Buffer {
      std::int64_t bytes;
      int first, last;
      Storage* storage;
    };
    std::vector<Buffer> buffers;
    auto phase_of = [&](int pass) { return plan.passes[static_cast<std::size_t>(pass)].phase; };
    std::vector<int> written(graph.size(), -1);  // node -> phase of the pass writing it
    for (std::size_t p = 0; p < plan.passes.size(); ++p) {
      const Pass& pass = plan.passes[p];
      for (NodeId n : plan.kernels[static_cast<std::size_t>(pass.kernel)].nodes)
        if (pass.combine == reduce(n)) written[position(n)] = pass.phase;
    }
    for (std::size_t i = 0; i < graph.size(); ++i) {
      const auto id = static_cast<NodeId>(i);
      if (plan.kernel_of[i] < 0) continue;
      const std::int64_t bytes = align64(ir::element_count(graph.node(id).shape) * 4);
      for (Storage& slot : plan.new_slots[i])
        if (slot.kind == StorageKind::Arena) buffers.push_back({bytes, written[i], kForever, &slot});
      if (plan.argmax[i].kind == StorageKind::Arena) {
        int last = written[i];
        for (int r : argmax_readers[i]) last = std::max(last, phase_of(r));
        buffers.push_back({bytes, written[i], last, &plan.argmax[i]});
      }
      if (root(id) != id || plan.storage[i].kind != StorageKind::Arena) continue;
      int last = written[i];
      for (int r : readers[i]) last = std::max(last, phase_of(r));
      if (outputs.count(id) || kept.count(id)) last = kForever;
      buffers.push_back({bytes, written[i], last, &plan.storage[i]});
    }
    std::vector<const Buffer*> placed;
    for (Buffer& b : buffers) {
      std::vector<std::pair<std::int64_t, std::int64_t>> busy;  // [offset, end) of live overlapping buffers
      for (const Buffer* p : placed)
        if (p->first <= b.last && b.first <= p->last) busy.emplace_back(p->storage->offset, p->storage->offset + p->bytes);
      std::sort(busy.begin(), busy.end());
      std::int64_t offset = 0;
      for (const auto& [lo, hi] : busy) {
        if (offset + b.bytes <= lo) break;
        offset = std::max(offset, hi);
      }
      b.storage->offset = offset;
      plan.arena_bytes = std::max(plan.arena_bytes, offset + b.bytes);
      placed.push_back(&b);
    }
  }

  // 5. Per-thread scratch: Reduce nodes' partial sums, other kernels' work
  //    buffers; a kernel's in a row, in its members' order, so kernels alike
  //    find theirs at the same offsets from their first (emit_step.cpp
  //    compiles such kernels once).
  void place_scratch() {
    for (const Kernel& k : plan.kernels)
      for (NodeId id : k.nodes) {
        const std::int64_t bytes = scratch_bytes(graph, graph.node(id));
        if (bytes == 0) continue;
        plan.scratch_of[static_cast<std::size_t>(id)] = plan.scratch_stride;
        plan.scratch_stride += align64(bytes);
      }
  }
};

}  // namespace

void place_buffers(const ir::Graph& graph, StepPlan& plan) {
  Placement p{graph, plan, {}, {}, {}, {}, {}, {}};
  p.index();
  p.place_updates();
  p.mark_memory();
  p.place_barriers();
  p.place_arena();
  p.place_scratch();
}

}  // namespace tl::codegen
