// Fusion (step_plan.hpp, `fuse`), in rewrites of the one-kernel-per-node
// plan, each keeping every kernel after the kernels that compute its inputs:
//   0. weights first: kernels computing from weights and constants alone (an
//      inference batchnorm's -mean and gamma / sqrt(var + eps)) run before
//      every kernel that reads a fed input, so the chains of 2 can take the
//      nodes that read them;
//   1. generated values: a Fill or dropout mask read only elementwise is
//      computed where it is read (a dropout mask inside the loop that uses it);
//   2. epilogue chains: an elementwise node joins the kernel of the input it
//      consumes (conv/matmul + bias + activation + dropout, backward chains),
//      then (after 3) other elementwise readers of a member join as branches,
//      and channel sums and means of a member join as sinks;
//   3. max pools save their argmax for their gradients, and a non-overlapping
//      pool joins the conv kernel feeding it (the conv output never goes
//      through memory); its gradient feeds the bias and filter gradients
//      from registers;
//   4. loss heads: softmax, cross-entropy, its gradient and accuracy over one
//      (scores, labels) pair run in one pass over the rows;
//   5. updates: every optimizer update and moving average in one kernel,
//      after the last gradient.
#include <algorithm>
#include <iterator>
#include <map>

#include "compiler/codegen/op_traits.hpp"
#include "compiler/codegen/step_plan.hpp"

namespace tl::codegen {

using ir::NodeId;
using ir::OpKind;

namespace {

std::size_t node_index(NodeId id) { return static_cast<std::size_t>(id); }

struct Fuser {
  const ir::Graph& graph;
  StepPlan& plan;
  std::vector<std::vector<NodeId>> consumers;  // memory root -> consuming nodes
  std::vector<bool> outputs;                   // memory root -> is a graph output

  NodeId root(NodeId id) const { return plan.alias_of[node_index(id)]; }
  int kernel(NodeId id) const { return plan.kernel_of[node_index(root(id))]; }
  bool alone(NodeId id) const {
    const int k = plan.kernel_of[node_index(id)];
    return k >= 0 && plan.kernels[static_cast<std::size_t>(k)].nodes.size() == 1 &&
           plan.kernels[static_cast<std::size_t>(k)].kind == KernelKind::Op;
  }

  void index() {
    consumers.assign(graph.size(), {});
    outputs.assign(graph.size(), false);
    for (std::size_t i = 0; i < graph.size(); ++i)
      for (NodeId in : graph.node(static_cast<NodeId>(i)).inputs) consumers[node_index(root(in))].push_back(static_cast<NodeId>(i));
    for (const auto& [name, id] : graph.outputs()) outputs[node_index(root(id))] = true;
  }

  /// Moves node `id` from its own kernel into kernel `k`.
  void move(NodeId id, int k) {
    plan.kernels[static_cast<std::size_t>(plan.kernel_of[node_index(id)])].nodes.clear();
    plan.kernel_of[node_index(id)] = k;
    plan.kernels[static_cast<std::size_t>(k)].nodes.push_back(id);
  }

  /// Input `in` can be read by a node moved into kernel `k`.
  bool ready(NodeId in, int k) const {
    const int producer = kernel(in);
    return producer < 0 || producer <= k;  // leaves, generated, earlier kernels, members of k
  }

  // 0. Weights first: a stable reorder that moves every kernel whose node
  //    reads no fed input (directly or through other nodes) ahead of those
  //    that do. Only nodes before the first update move, so none reads a
  //    value an update wrote; inputs stay before their readers.
  void weights_first() {
    std::size_t first_effect = graph.size();
    for (NodeId e : graph.effects()) first_effect = std::min(first_effect, node_index(e));
    std::vector<bool> fed(graph.size(), false);
    std::vector<Kernel> early, late;
    for (std::size_t i = 0; i < graph.size(); ++i) {
      const ir::Node& n = graph.node(static_cast<NodeId>(i));
      fed[i] = n.op == OpKind::Input || i >= first_effect;
      for (NodeId in : n.inputs) fed[i] = fed[i] || fed[node_index(in)];
      const int k = plan.kernel_of[i];
      if (k >= 0) (fed[i] ? late : early).push_back(std::move(plan.kernels[static_cast<std::size_t>(k)]));
    }
    plan.kernels = std::move(early);
    plan.kernels.insert(plan.kernels.end(), std::make_move_iterator(late.begin()), std::make_move_iterator(late.end()));
    for (std::size_t k = 0; k < plan.kernels.size(); ++k)
      for (NodeId n : plan.kernels[k].nodes) plan.kernel_of[node_index(n)] = static_cast<int>(k);
  }

  // 1. Generated values.
  void generate() {
    for (std::size_t i = 0; i < graph.size(); ++i) {
      const ir::Node& n = graph.node(static_cast<NodeId>(i));
      if (category(n.op) != ir::OpCategory::Generator || outputs[i]) continue;
      bool ok = true;
      for (NodeId c : consumers[i]) {
        const ir::Node& user = graph.node(c);
        if (category(user.op) == ir::OpCategory::Reshape) ok = false;
        for (std::size_t k = 0; k < user.inputs.size(); ++k)
          if (root(user.inputs[k]) == static_cast<NodeId>(i))
            ok = ok && reads_generated(graph, user, k, n.op == OpKind::DropoutMask);
      }
      if (!ok) continue;
      plan.kernels[static_cast<std::size_t>(plan.kernel_of[i])].nodes.clear();
      plan.kernel_of[i] = -1;
      plan.storage[i].kind = StorageKind::Generated;
    }
  }

  /// The consumer of `x` that can join kernel `k` as the next link of its chain, or -1.
  NodeId next_link(NodeId x, int k) const {
    for (NodeId c : consumers[node_index(x)]) {
      const ir::Node& n = graph.node(c);
      if (!is_elementwise(n.op) || n.shape != graph.node(x).shape || !alone(c) || plan.kernel_of[node_index(c)] <= k) continue;
      if (category(n.op) == ir::OpCategory::ChannelBinary && root(n.inputs[0]) != x) continue;
      bool inputs_ready = true;
      for (NodeId in : n.inputs) inputs_ready = inputs_ready && ready(in, k);
      if (inputs_ready) return c;
    }
    return -1;
  }

  // 2. Epilogue chains.
  void chain() {
    for (std::size_t k = 0; k < plan.kernels.size(); ++k) {
      Kernel& kernel = plan.kernels[k];
      if (kernel.kind != KernelKind::Op || kernel.nodes.size() != 1) continue;
      if (!streams_values(graph, graph.node(kernel.nodes[0]))) continue;
      for (NodeId x = kernel.nodes[0], next; (next = next_link(x, static_cast<int>(k))) >= 0; x = next)
        move(next, static_cast<int>(k));
    }
  }

  /// An alone elementwise consumer of a member of kernel `k` (not its first
  /// link, which chain() took) that can join it: same shape as the member it
  /// reads per element, every other input ready. -1 when there is none.
  /// An input of a branch that is not ready at kernel `k` but can join it
  /// first: an alone elementwise node of the branch's shape whose own inputs
  /// are ready (the scale(x) of mul(spread, scale(x)) in a batchnorm's backward).
  bool absorbable(NodeId in, const ir::Shape& shape, int k) const {
    const ir::Node& n = graph.node(in);
    if (root(in) != in || !is_elementwise(n.op) || n.shape != shape || !alone(in) || plan.kernel_of[node_index(in)] <= k)
      return false;
    for (NodeId i : n.inputs)
      if (!ready(i, k)) return false;
    return true;
  }

  /// An alone elementwise consumer of a member of kernel `k` (not its first
  /// link, which chain() took) that can join it: same shape as the member it
  /// reads per element, every other input ready or absorbable. Returns it
  /// after the absorbable inputs it needs first, or nothing.
  std::vector<NodeId> next_branch(int k) const {
    for (NodeId m : plan.kernels[static_cast<std::size_t>(k)].nodes) {
      if (category(graph.node(m).op) == ir::OpCategory::ChannelReduce) continue;
      for (NodeId c : consumers[node_index(m)]) {
        const ir::Node& n = graph.node(c);
        if (!is_elementwise(n.op) || n.shape != graph.node(m).shape || !alone(c) || plan.kernel_of[node_index(c)] <= k) continue;
        if (category(n.op) == ir::OpCategory::ChannelBinary && kernel(n.inputs[0]) != k) continue;
        std::vector<NodeId> join;
        bool inputs_ready = true;
        for (NodeId in : n.inputs) {
          if (ready(in, k)) continue;
          if (!absorbable(root(in), n.shape, k))
            inputs_ready = false;
          else if (std::find(join.begin(), join.end(), root(in)) == join.end())
            join.push_back(root(in));
        }
        if (!inputs_ready) continue;
        join.push_back(c);
        return join;
      }
    }
    return {};
  }

  /// An earlier kernel's lone elementwise or channel-broadcast node that only
  /// members of kernel `k` read, per element: it can be computed inside k
  /// instead of going through memory (the channel_spread of mul(spread,
  /// scale(x)) in a batchnorm's backward).
  bool pullable(NodeId p, const ir::Shape& shape, int k) const {
    const ir::Node& n = graph.node(p);
    const bool elementwise = is_elementwise(n.op) || category(n.op) == ir::OpCategory::ChannelBroadcast;
    if (root(p) != p || !elementwise || n.shape != shape || !alone(p) || plan.kernel_of[node_index(p)] >= k || outputs[node_index(p)])
      return false;
    for (NodeId c : consumers[node_index(p)]) {
      if (plan.kernel_of[node_index(c)] != k) return false;
      const ir::Node& r = graph.node(c);
      if (!is_elementwise(r.op) || r.shape != shape) return false;
      if (category(r.op) == ir::OpCategory::ChannelBinary && root(r.inputs[1]) == p) return false;
    }
    return true;
  }

  /// Pulls every pullable input of kernel `k`'s non-root members into k,
  /// just before the first member reading it.
  void pull(int k) {
    auto& nodes = plan.kernels[static_cast<std::size_t>(k)].nodes;
    for (std::size_t m = 1; m < nodes.size(); ++m) {
      const NodeId member = nodes[m];
      if (category(graph.node(member).op) == ir::OpCategory::ChannelReduce) continue;
      for (NodeId in : graph.node(member).inputs) {
        const NodeId p = root(in);
        if (!pullable(p, graph.node(member).shape, k)) continue;
        plan.kernels[static_cast<std::size_t>(plan.kernel_of[node_index(p)])].nodes.clear();
        plan.kernel_of[node_index(p)] = k;
        nodes.insert(nodes.begin() + static_cast<std::ptrdiff_t>(m), p);
        ++m;
      }
    }
  }

  // 3d. A max pool's gradient that no filter gradient took (pool_grads) but
  //     that writes every cell once streams its values into a chain: the
  //     relu_grad behind it, then branches and sinks.
  void pool_grad_chains() {
    for (std::size_t k = 0; k < plan.kernels.size(); ++k) {
      const Kernel& kernel = plan.kernels[k];
      if (kernel.kind != KernelKind::Op || kernel.nodes.size() != 1 || graph.node(kernel.nodes[0]).op != OpKind::MaxPool2DGrad ||
          !root_streams(plan, graph, kernel.nodes[0]))
        continue;
      for (NodeId x = kernel.nodes[0], next; (next = next_link(x, static_cast<int>(k))) >= 0; x = next)
        move(next, static_cast<int>(k));
    }
  }

  // 2b. Branches: the epilogue computes every member from the values before
  //     it, so other elementwise readers of a member join too (a batchnorm's
  //     backward: relu_grad, then g * x_hat and g * gamma from the same g).
  //     After the pool fusions, which want the chain's last member to be the
  //     one the pool reads.
  void branches() {
    for (std::size_t k = 0; k < plan.kernels.size(); ++k) {
      const Kernel& kernel = plan.kernels[k];
      if (kernel.kind != KernelKind::Op || kernel.nodes.empty() || !root_streams(plan, graph, kernel.nodes[0])) continue;
      for (std::vector<NodeId> next; !(next = next_branch(static_cast<int>(k))).empty();)
        for (NodeId n : next) move(n, static_cast<int>(k));
      pull(static_cast<int>(k));
    }
  }

  // 2c. Sinks: a channel sum or mean of a member of an Op kernel adds up that
  //     member's values in the same pass, so they are not read again from
  //     memory. Rooted at an elementwise op, the epilogue adds them from
  //     registers; rooted at a convolution, each chunk of images is summed
  //     right after it is written, while it is still in cache. Either way the
  //     rows are added in the order a separate pass would add them.
  void sinks() {
    for (std::size_t k = 0; k < plan.kernels.size(); ++k) {
      if (plan.kernels[k].kind != KernelKind::Op || plan.kernels[k].nodes.empty()) continue;
      const NodeId first = plan.kernels[k].nodes.front();
      if (sink_mode(plan, graph, plan.kernels[k]) == SinkMode::None) continue;
      const OpSplit rows = op_split(graph, graph.node(first));
      for (std::size_t m = 0; m < plan.kernels[k].nodes.size(); ++m) {
        const NodeId x = plan.kernels[k].nodes[m];
        if (category(graph.node(x).op) == ir::OpCategory::ChannelReduce) continue;
        const ir::Shape& shape = graph.node(x).shape;
        if (shape.size() < 2 || shape != graph.node(first).shape || outputs[node_index(x)]) continue;
        if (!plan.batched.empty() && plan.batched[node_index(x)] != plan.batched[node_index(first)]) continue;
        for (NodeId c : std::vector<NodeId>(consumers[node_index(x)])) {
          const ir::Node& r = graph.node(c);
          if (category(r.op) != ir::OpCategory::ChannelReduce || !alone(c) || plan.kernel_of[node_index(c)] <= static_cast<int>(k))
            continue;
          if (op_split(graph, r).extent != rows.extent) continue;
          move(c, static_cast<int>(k));
        }
      }
    }
  }

  static bool same_window(const ir::Attrs& a, const ir::Attrs& b) {
    return a.window_h == b.window_h && a.window_w == b.window_w && a.stride_h == b.stride_h && a.stride_w == b.stride_w &&
           a.padding == b.padding && a.pad_top == b.pad_top && a.pad_bottom == b.pad_bottom && a.pad_left == b.pad_left &&
           a.pad_right == b.pad_right;
  }

  // 3a. Argmax for max pool gradients.
  void pool_argmax() {
    for (std::size_t i = 0; i < graph.size(); ++i) {
      const ir::Node& g = graph.node(static_cast<NodeId>(i));
      if (g.op != OpKind::MaxPool2DGrad) continue;
      for (NodeId p : consumers[node_index(root(g.inputs[0]))]) {
        const ir::Node& pool = graph.node(p);
        if (pool.op != OpKind::MaxPool2D || !same_window(pool.attrs, g.attrs) || kernel(p) >= kernel(static_cast<NodeId>(i)))
          continue;
        plan.argmax_of[i] = p;
        plan.argmax[node_index(p)].kind = StorageKind::Arena;
        break;
      }
    }
  }

  /// `x` is an output or read outside kernel `k` other than by `pool` and the
  /// gradients that pool's argmax serves.
  bool read_elsewhere(NodeId x, int k, NodeId pool) const {
    if (outputs[node_index(x)]) return true;
    for (NodeId c : consumers[node_index(x)]) {
      const bool served = graph.node(c).op == OpKind::MaxPool2DGrad && plan.argmax_of[node_index(c)] == pool;
      if (plan.kernel_of[node_index(c)] != k && c != pool && !served) return true;
    }
    return false;
  }

  // 3b. A conv kernel absorbs the non-overlapping max pool it feeds.
  void conv_pool() {
    for (std::size_t k = 0; k < plan.kernels.size(); ++k) {
      Kernel& pk = plan.kernels[k];
      if (pk.kind != KernelKind::Op || pk.nodes.empty() || graph.node(pk.nodes[0]).op != OpKind::MaxPool2D) continue;
      const NodeId pool = pk.nodes[0];
      const ir::Attrs& a = graph.node(pool).attrs;
      const NodeId x = root(graph.node(pool).inputs[0]);
      const int xk = kernel(x);
      if (xk < 0 || a.padding != ir::Padding::Valid || a.stride_h != a.window_h || a.stride_w != a.window_w) continue;
      Kernel& ck = plan.kernels[static_cast<std::size_t>(xk)];
      if (ck.kind != KernelKind::Op || graph.node(ck.nodes[0]).op != OpKind::Conv2D || ck.nodes.back() != x) continue;
      // Pixels outside every window are not computed: only allowed when no
      // member of the conv's chain must be stored.
      const ir::Shape& xs = graph.node(x).shape;
      const bool tiled = xs[1] % a.window_h == 0 && xs[2] % a.window_w == 0;
      bool stored = false;
      for (NodeId m : ck.nodes) stored = stored || read_elsewhere(m, xk, pool);
      if (stored && !tiled) continue;
      ck.kind = KernelKind::ConvPool;
      for (NodeId m : pk.nodes) {
        ck.nodes.push_back(m);
        plan.kernel_of[node_index(m)] = xk;
      }
      pk.nodes.clear();
    }
  }

  // 3c. A max-pool gradient over windows that tile its input passes its values
  //     to the channel sums and conv filter gradients that read it, through
  //     the gradient of a relu between conv and pool when there is one.
  void pool_grads() {
    for (std::size_t k = 0; k < plan.kernels.size(); ++k) {
      Kernel& gk = plan.kernels[k];
      if (gk.kind != KernelKind::Op || gk.nodes.size() != 1) continue;
      const NodeId grad = gk.nodes[0];
      const ir::Node& g = graph.node(grad);
      const NodeId pool = plan.argmax_of[node_index(grad)];
      if (g.op != OpKind::MaxPool2DGrad || pool < 0) continue;
      const ir::Attrs& a = g.attrs;
      if (a.padding != ir::Padding::Valid || a.stride_h != a.window_h || a.stride_w != a.window_w ||
          g.shape[1] % a.window_h != 0 || g.shape[2] % a.window_w != 0)
        continue;
      const NodeId through = relu_between(grad, pool);
      const NodeId source = through >= 0 ? through : grad;  // what the sums and filters read
      std::vector<NodeId> readers;
      for (NodeId c : consumers[node_index(source)]) {
        const ir::Node& r = graph.node(c);
        const bool sum = r.op == OpKind::ChannelSum && root(r.inputs[0]) == source;
        // The filter gradient keeps its taps x channel vectors in registers.
        const bool filter = r.op == OpKind::Conv2DGradFilter && root(r.inputs[1]) == source &&
                            root(r.inputs[0]) != source &&
                            r.shape[0] * r.shape[1] * r.shape[2] * ((r.shape[3] + 15) / 16) <= 24 &&
                            ready(r.inputs[0], static_cast<int>(k));
        if ((sum || filter) && alone(c)) readers.push_back(c);
      }
      // The relu's gradient joins only when the kernel takes all its readers
      // (it is then never stored).
      if (through >= 0 && (readers.size() != consumers[node_index(through)].size() || outputs[node_index(through)]))
        continue;
      if (readers.empty()) continue;
      if (through >= 0) move(through, static_cast<int>(k));
      for (NodeId c : readers) move(c, static_cast<int>(k));
      gk.kind = KernelKind::PoolGrads;
    }
  }

  /// The relu_grad between a max pool's gradient and its conv's: relu_grad(y,
  /// grad) where y, the relu's output, is what the pool reads, and grad goes
  /// nowhere else. At each window's argmax cell y is the pooled value, so the
  /// kernel takes g where the pooled value is positive. -1 when there is none.
  NodeId relu_between(NodeId grad, NodeId pool) const {
    const auto& readers = consumers[node_index(grad)];
    if (readers.size() != 1 || outputs[node_index(grad)]) return -1;
    const NodeId c = readers.front();
    const ir::Node& r = graph.node(c);
    const bool relu = r.op == OpKind::ReluGrad && root(r.inputs[1]) == grad &&
                      root(r.inputs[0]) == root(graph.node(pool).inputs[0]) && alone(c);
    return relu ? c : -1;
  }

  // 4. Loss heads.
  void loss_heads() {
    std::map<std::pair<NodeId, NodeId>, std::vector<NodeId>> heads;  // (logits or probs, labels) -> members
    for (std::size_t i = 0; i < graph.size(); ++i) {
      const ir::Node& n = graph.node(static_cast<NodeId>(i));
      if (category(n.op) != ir::OpCategory::Loss && category(n.op) != ir::OpCategory::LossGrad) continue;
      if (!alone(static_cast<NodeId>(i))) continue;
      NodeId scores = root(n.inputs[0]);
      // Scores that are a softmax of logits join through those logits.
      if (graph.node(scores).op == OpKind::Softmax && alone(scores) && graph.node(scores).shape.size() == 2)
        scores = root(graph.node(scores).inputs[0]);
      heads[{scores, root(n.inputs[1])}].push_back(static_cast<NodeId>(i));
    }
    for (auto& [key, members] : heads) {
      // The softmaxes members read become members too, first.
      std::vector<NodeId> all;
      for (NodeId m : members)
        if (root(graph.node(m).inputs[0]) != key.first) all.push_back(root(graph.node(m).inputs[0]));
      std::sort(all.begin(), all.end());
      all.erase(std::unique(all.begin(), all.end()), all.end());
      if (all.size() > 1) continue;  // two different softmaxes: leave them alone
      all.insert(all.end(), members.begin(), members.end());
      int first = plan.kernel_of[node_index(all.front())];
      for (NodeId m : all) first = std::min(first, plan.kernel_of[node_index(m)]);
      bool inputs_ready = true;
      for (NodeId m : all)
        for (NodeId in : graph.node(m).inputs)
          inputs_ready = inputs_ready && (ready(in, first) || std::find(all.begin(), all.end(), root(in)) != all.end());
      if (!inputs_ready || all.size() < 2) continue;
      Kernel head;
      head.kind = KernelKind::LossHead;
      for (NodeId m : all) plan.kernels[static_cast<std::size_t>(plan.kernel_of[node_index(m)])].nodes.clear();
      head.nodes = all;
      plan.kernels[static_cast<std::size_t>(first)] = head;
      for (NodeId m : all) plan.kernel_of[node_index(m)] = first;
    }
  }

  // 5. One kernel for the updates, after the last of them.
  void updates() {
    std::vector<NodeId> members;
    for (NodeId e : graph.effects())
      if (alone(e) && consumers[node_index(e)].empty() && !outputs[node_index(e)]) members.push_back(e);
    if (members.size() < 2) return;
    int last = -1;
    for (NodeId m : members) last = std::max(last, plan.kernel_of[node_index(m)]);
    Kernel group;
    group.kind = KernelKind::Updates;
    group.nodes = members;
    for (NodeId m : members) plan.kernels[static_cast<std::size_t>(plan.kernel_of[node_index(m)])].nodes.clear();
    plan.kernels[static_cast<std::size_t>(last)] = group;
    for (NodeId m : members) plan.kernel_of[node_index(m)] = last;
  }

  /// Drops emptied kernels and renumbers.
  void compact() {
    std::vector<Kernel> kept;
    for (Kernel& k : plan.kernels)
      if (!k.nodes.empty()) kept.push_back(std::move(k));
    plan.kernels = std::move(kept);
    for (int& k : plan.kernel_of) k = -1;
    for (std::size_t k = 0; k < plan.kernels.size(); ++k)
      for (NodeId n : plan.kernels[k].nodes) plan.kernel_of[node_index(n)] = static_cast<int>(k);
  }
};

}  // namespace

void fuse(const ir::Graph& graph, StepPlan& plan) {
  Fuser f{graph, plan, {}, {}};
  f.index();
  f.weights_first();
  f.generate();
  f.chain();
  f.pool_argmax();
  f.conv_pool();
  f.pool_grads();
  f.pool_grad_chains();
  f.branches();
  f.sinks();
  f.loss_heads();
  f.updates();
  f.compact();
}

}  // namespace tl::codegen
