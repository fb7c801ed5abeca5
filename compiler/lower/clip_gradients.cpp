// Gradient clipping by global norm (see clip_gradients.hpp).
#include "compiler/lower/clip_gradients.hpp"

#include <string>

namespace tl::lower {

using ir::NodeId;
using ir::OpKind;

namespace {

struct Builder {
  ir::Graph& graph;
  ir::Origin origin;

  NodeId add(OpKind op, std::vector<NodeId> inputs, const std::string& name, ir::Shape shape = {}, ir::Attrs attrs = {}) {
    return graph.add({op, std::move(inputs), std::move(shape), attrs, name, origin});
  }
  NodeId reshape(NodeId x, ir::Shape shape, const std::string& name) { return add(OpKind::Reshape, {x}, name, std::move(shape)); }
};

/// The widest of 16, 8, 4, 2, 1 that divides `n`: the partial sums' width.
std::int64_t lanes(std::int64_t n) {
  for (std::int64_t k : {16, 8, 4, 2})
    if (n % k == 0) return k;
  return 1;
}

}  // namespace

autodiff::Gradients clip_by_global_norm(ir::Graph& graph, const autodiff::Gradients& grads, double clip,
                                        ir::Origin origin) {
  Builder b{graph, origin};
  // 1. sum(g^2) of each gradient as a (1) tensor: squares as (n/k, k), summed
  // to k partials, then to one.
  NodeId total = -1;
  for (const auto& [param, grad] : grads.params) {
    const std::string name = "clip/" + graph.node(param).name;
    const std::int64_t n = ir::element_count(graph.node(grad).shape);
    const std::int64_t k = lanes(n);
    const NodeId squares = b.add(OpKind::Square, {b.reshape(grad, {n / k, k}, name + "/flat")}, name + "/square", {n / k, k});
    const NodeId partial = b.add(OpKind::ChannelSum, {squares}, name + "/partial", {k});
    const NodeId sum = b.add(OpKind::ChannelSum, {b.reshape(partial, {k, 1}, name + "/partials")}, name + "/sum", {1});
    total = total < 0 ? sum : b.add(OpKind::Add, {total, sum}, name + "/total", {1});
  }
  if (total < 0) return grads;
  // 2. min(1, C / sqrt(total + 1e-12)).
  ir::Attrs eps;
  eps.eps = 1e-12;
  ir::Attrs scale;
  scale.value = clip;
  ir::Attrs bounds;
  bounds.lo = 0.0;
  bounds.hi = 1.0;
  const NodeId inverse = b.add(OpKind::Rsqrt, {total}, "clip/inverse_norm", {1}, eps);
  const NodeId factor = b.add(OpKind::Clip, {b.add(OpKind::Scale, {inverse}, "clip/ratio", {1}, scale)}, "clip/factor", {1}, bounds);
  // 3. Each gradient times the factor.
  autodiff::Gradients out;
  for (const auto& [param, grad] : grads.params) {
    const std::string name = "clip/" + graph.node(param).name;
    const ir::Shape shape = graph.node(grad).shape;
    const std::int64_t n = ir::element_count(shape);
    const NodeId scaled = b.add(OpKind::ChannelMul, {b.reshape(grad, {n, 1}, name + "/column"), factor}, name + "/scaled", {n, 1});
    out.params.emplace_back(param, b.reshape(scaled, shape, name + "/grad"));
  }
  return out;
}

}  // namespace tl::lower
