// The shape rule of every op category (infer_shape) and the graph verifier.
// One switch over OpCategory without a default: a new category in ops.def
// fails to compile here until it has a rule. Violations are compiler bugs, so they throw
// std::logic_error naming the node.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "compiler/ir/graph.hpp"
#include "compiler/ir/optimizer.hpp"

namespace tl::ir {

namespace {

[[noreturn]] void fail(const Node& n, const std::string& what) {
  throw std::logic_error(fmt::format("shape: {} '{}': {}", spelling(n.op), n.name, what));
}

void expect(bool ok, const Node& n, const std::string& what) {
  if (!ok) fail(n, what);
}

void expect_rank(const Shape& s, std::size_t rank, const Node& n, const char* operand) {
  if (s.size() != rank) fail(n, fmt::format("{} must have rank {}, got {}", operand, rank, to_string(s)));
}

void expect_same(const Shape& a, const Shape& b, const Node& n) {
  if (a != b) fail(n, fmt::format("operand shapes differ: {} vs {}", to_string(a), to_string(b)));
}

/// (B,H,W,C) -> (B,H',W',out_channels) for a k_h x k_w window with the node's strides and padding.
Shape windowed(const Shape& x, std::int64_t k_h, std::int64_t k_w, std::int64_t out_channels, const Node& n) {
  expect_rank(x, 4, n, "input");
  try {
    const WindowAxis h = window_rows(n.attrs, x[1], k_h);
    const WindowAxis w = window_cols(n.attrs, x[2], k_w);
    return {x[0], h.out, w.out, out_channels};
  } catch (const std::logic_error& e) {
    fail(n, e.what());
  }
}

/// Output channels of a convolution (or of the one a gradient belongs to)
/// with kernel `w` (K,K,I,O): O, or I*O for a depthwise one (O the multiplier).
std::int64_t conv_outputs(OpKind op, const Shape& w) {
  const bool depthwise = op == OpKind::DepthwiseConv2D || op == OpKind::DepthwiseConv2DGradInput;
  return depthwise ? w[2] * w[3] : w[3];
}

/// (logits or probs (B,M), labels (B)): the shared check of the loss ops.
void expect_scores_and_labels(const Shape& scores, const Shape& labels, const Node& n) {
  expect_rank(scores, 2, n, "scores");
  expect_rank(labels, 1, n, "labels");
  expect(scores[0] == labels[0], n, "scores and labels disagree on the batch size");
}

}  // namespace

Shape infer_shape(const Graph& graph, const Node& n) {
  auto in = [&](std::size_t i) -> const Shape& { return graph.node(n.inputs.at(i)).shape; };
  switch (category(n.op)) {
    // Leaves carry their shape.
    case OpCategory::Bound:
    case OpCategory::Generator:
      return n.shape;

    case OpCategory::Unary:
      return in(0);
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
      expect_same(in(0), in(1), n);
      return in(0);
    case OpCategory::ChannelBinary:
      expect(!in(0).empty(), n, "input must have a channel axis");
      expect_rank(in(1), 1, n, "channel vector");
      expect(in(1)[0] == in(0).back(), n,
             fmt::format("channel vector {} does not match input {}", to_string(in(1)), to_string(in(0))));
      return in(0);
    case OpCategory::ChannelReduce:
      expect(!in(0).empty(), n, "input must have a channel axis");
      return {in(0).back()};
    case OpCategory::Collective:
      expect_rank(in(0), 1, n, "vector");
      return in(0);
    case OpCategory::ChannelBroadcast:
      // The target shape can't be derived: it is the node's own.
      expect_rank(in(0), 1, n, "channel vector");
      expect(!n.shape.empty() && n.shape.back() == in(0)[0], n,
             fmt::format("cannot broadcast {} to {}", to_string(in(0)), to_string(n.shape)));
      return n.shape;

    // Blocks of channels: every axis but the last agrees; a slice or pad
    // carries its own shape and the block must lie inside the wider tensor.
    case OpCategory::ChannelBlock: {
      const bool concat = n.op == OpKind::Concat;
      const Shape& narrow = concat ? in(0) : n.op == OpKind::SliceChannels ? n.shape : in(0);
      const Shape& wide = concat ? in(1) : n.op == OpKind::SliceChannels ? in(0) : n.shape;
      expect(!narrow.empty() && narrow.size() == wide.size() &&
                 std::equal(narrow.begin(), narrow.end() - 1, wide.begin()),
             n, fmt::format("channel blocks of {} and {} differ on an axis other than the last", to_string(narrow), to_string(wide)));
      if (concat) {
        Shape out = in(0);
        out.back() += in(1).back();
        return out;
      }
      expect(n.attrs.offset >= 0 && n.attrs.offset + narrow.back() <= wide.back(), n,
             fmt::format("channels [{}, {}) are not inside {}", n.attrs.offset, n.attrs.offset + narrow.back(), to_string(wide)));
      return n.shape;
    }

    case OpCategory::Reshape:
      expect(element_count(n.shape) == element_count(in(0)), n,
             fmt::format("cannot reshape {} to {}", to_string(in(0)), to_string(n.shape)));
      return n.shape;
    case OpCategory::MatMul: {
      expect_rank(in(0), 2, n, "a");
      expect_rank(in(1), 2, n, "b");
      const auto [m, ka] = n.attrs.trans_a ? std::pair{in(0)[1], in(0)[0]} : std::pair{in(0)[0], in(0)[1]};
      const auto [kb, cols] = n.attrs.trans_b ? std::pair{in(1)[1], in(1)[0]} : std::pair{in(1)[0], in(1)[1]};
      expect(ka == kb, n, fmt::format("inner dimensions differ: {} x {}", to_string(in(0)), to_string(in(1))));
      return {m, cols};
    }
    case OpCategory::Rows:
      expect(!in(0).empty(), n, "input must have a last axis");
      for (std::size_t i = 1; i < n.inputs.size(); ++i) expect_same(in(0), in(i), n);
      return in(0);

    // Conv2D takes its window from the weight (K,K,I,O); attrs.window_* are
    // only read by Conv2DGradFilter, whose output is that weight shape.
    case OpCategory::Conv:
      expect_rank(in(0), 4, n, "input");
      expect_rank(in(1), 4, n, "kernel");
      expect(in(1)[2] == in(0)[3], n, fmt::format("kernel {} does not fit input {}", to_string(in(1)), to_string(in(0))));
      return windowed(in(0), in(1)[0], in(1)[1], conv_outputs(n.op, in(1)), n);
    case OpCategory::ConvGradInput: {
      // (g, w) -> dx: the input size can't be recovered from g (strides round
      // down), so the node carries it and we check that conv maps it onto g.
      expect_rank(in(1), 4, n, "kernel");
      expect_rank(n.shape, 4, n, "declared input gradient");
      expect(n.shape[3] == in(1)[2], n, "declared input gradient does not match the kernel's input channels");
      expect_same(windowed(n.shape, in(1)[0], in(1)[1], conv_outputs(n.op, in(1)), n), in(0), n);
      return n.shape;
    }
    case OpCategory::ConvGradFilter: {
      expect_rank(in(0), 4, n, "input");
      expect_rank(in(1), 4, n, "output gradient");
      expect_same(windowed(in(0), n.attrs.window_h, n.attrs.window_w, in(1)[3], n), in(1), n);
      switch (sub_op<ConvGradFilterOp>(n.op)) {
        case ConvGradFilterOp::Conv2DGradFilter: return {n.attrs.window_h, n.attrs.window_w, in(0)[3], in(1)[3]};
        case ConvGradFilterOp::DepthwiseConv2DGradFilter:
          expect(in(1)[3] % in(0)[3] == 0, n, "output gradient channels are not a multiple of the input's");
          return {n.attrs.window_h, n.attrs.window_w, in(0)[3], in(1)[3] / in(0)[3]};
      }
      break;
    }
    case OpCategory::Pool:
      expect_rank(in(0), 4, n, "input");
      return windowed(in(0), n.attrs.window_h, n.attrs.window_w, in(0)[3], n);
    case OpCategory::PoolGrad: {
      // (x, g) -> dx of x's shape; g -> dx of the node's own shape (an input
      // size is ambiguous under strides, as for ConvGradInput).
      const bool has_x = n.inputs.size() == 2;
      const Shape& x = has_x ? in(0) : n.shape;
      expect_rank(x, 4, n, has_x ? "input" : "declared input gradient");
      expect_same(windowed(x, n.attrs.window_h, n.attrs.window_w, x[3], n), in(n.inputs.size() - 1), n);
      return x;
    }
    case OpCategory::GlobalPool:
      expect_rank(in(0), 4, n, "input");
      return {in(0)[0], in(0)[3]};
    case OpCategory::GlobalPoolGrad:
      expect_rank(in(0), 4, n, "input");
      expect_same(Shape{in(0)[0], in(0)[3]}, in(1), n);
      return in(0);

    case OpCategory::Loss:
      expect_scores_and_labels(in(0), in(1), n);
      return {};
    case OpCategory::LossGrad:
      expect_scores_and_labels(in(0), in(1), n);
      expect_rank(in(2), 0, n, "loss gradient");
      return in(0);

    // Updates: every operand (param, grad, slots) has the param's shape.
    case OpCategory::Update:
      for (std::size_t i = 1; i < n.inputs.size(); ++i) expect_same(in(0), in(i), n);
      return in(0);
  }
  fail(n, "unknown op");
}

void verify(const Graph& graph) {
  std::vector<std::string> written;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const auto id = static_cast<NodeId>(i);
    const Node& n = graph.node(id);
    auto bad = [&](const std::string& what) {
      throw std::logic_error(fmt::format("verify: %{} = {} '{}': {}", id, spelling(n.op), n.name, what));
    };
    // 1. Arity and topological order.
    if (static_cast<int>(n.inputs.size()) != arity(n.op))
      bad(fmt::format("takes {} inputs, has {}", arity(n.op), n.inputs.size()));
    for (NodeId in : n.inputs)
      if (in < 0 || in >= id) bad(fmt::format("input %{} is not defined before its use", in));
    // 2. Variables have unique persistent names.
    if (n.op == OpKind::Param || n.op == OpKind::State) {
      if (n.name.empty()) bad("a variable needs a name");
      if (graph.find_variable(n.name) != id) bad("duplicate variable name");
    }
    // 3. Updates write to variables; optimizer slots are States.
    if (is_update(n.op)) {
      const OpKind target = graph.node(n.inputs[0]).op;
      if (target != OpKind::Param && target != OpKind::State) bad("an update must target a Param or State");
      if (static_cast<int>(n.inputs.size()) != 2 + slot_count(n.op)) bad("takes (target, value) and its slots");
      for (std::size_t s = 2; s < n.inputs.size(); ++s) {
        const OpKind slot = graph.node(n.inputs[s]).op;
        // An optimizer without state (plain SGD) feeds a zero Fill instead.
        if (slot != OpKind::State && slot != OpKind::Fill) bad("an optimizer slot must be a State or a zero Fill");
      }
    }
    // 4. The shape rule.
    Shape expected;
    try {
      expected = infer_shape(graph, n);
    } catch (const std::logic_error& e) {
      bad(e.what());
    }
    if (expected != n.shape) bad(fmt::format("has shape {}, its rule gives {}", to_string(n.shape), to_string(expected)));
  }
  // 5. Outputs and effects refer to nodes; each variable is written at most once.
  for (const auto& [name, id] : graph.outputs())
    if (id < 0 || static_cast<std::size_t>(id) >= graph.size())
      throw std::logic_error(fmt::format("verify: output '{}' refers to missing node %{}", name, id));
  for (NodeId id : graph.effects()) {
    if (id < 0 || static_cast<std::size_t>(id) >= graph.size() || !is_update(graph.node(id).op))
      throw std::logic_error(fmt::format("verify: effect %{} is not an update node", id));
    const std::string& target = graph.node(graph.node(id).inputs[0]).name;
    for (const std::string& w : written)
      if (w == target) throw std::logic_error(fmt::format("verify: variable '{}' is updated twice", target));
    written.push_back(target);
  }
}

}  // namespace tl::ir
