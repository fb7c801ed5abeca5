// The graph container, op metadata expanded from ops.def, window geometry and
// the textual dump (`tlc --emit=graph`). Shape rules and the verifier live in
// shape_rules.cpp.
#include "compiler/ir/graph.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>

namespace tl::ir {

std::string_view category_name(OpCategory category) {
  switch (category) {
#define TL_CATEGORY(name, doc) \
  case OpCategory::name:       \
    return #name;
#define TL_OP(name, arity, spelling, attrs, flops, doc)
#include "compiler/ir/ops.def"
#undef TL_OP
#undef TL_CATEGORY
  }
  return "?";
}

bool is_elementwise(OpKind op) {
  switch (category(op)) {
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::ActivationGrad:
    case OpCategory::ChannelBinary:
      return true;
    case OpCategory::Bound:
    case OpCategory::Generator:
    case OpCategory::ChannelBroadcast:
    case OpCategory::ChannelBlock:
    case OpCategory::ChannelReduce:
    case OpCategory::Collective:
    case OpCategory::Reshape:
    case OpCategory::MatMul:
    case OpCategory::Rows:
    case OpCategory::Conv:
    case OpCategory::ConvGradInput:
    case OpCategory::ConvGradFilter:
    case OpCategory::Pool:
    case OpCategory::PoolGrad:
    case OpCategory::GlobalPool:
    case OpCategory::GlobalPoolGrad:
    case OpCategory::Loss:
    case OpCategory::LossGrad:
    case OpCategory::Update:
      return false;
  }
  return false;
}

bool is_update(OpKind op) { return category(op) == OpCategory::Update; }

std::int64_t element_count(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::string to_string(const Shape& shape) { return fmt::format("({})", fmt::join(shape, ",")); }

WindowAxis window_axis(std::int64_t in, std::int64_t k, std::int64_t s, Padding padding, std::int64_t before,
                       std::int64_t after) {
  if (in <= 0 || k <= 0 || s <= 0) throw std::logic_error(fmt::format("window: bad in={} k={} s={}", in, k, s));
  if (padding == Padding::Valid) {
    if (in < k) throw std::logic_error(fmt::format("window: input {} smaller than window {}", in, k));
    return {(in - k) / s + 1, 0};
  }
  if (padding == Padding::Explicit) {
    if (before < 0 || after < 0 || before >= k || after >= k)
      throw std::logic_error(fmt::format("window: padding {}+{} must be at least 0 and less than the window {}", before,
                                         after, k));
    if (before + in + after < k)
      throw std::logic_error(fmt::format("window: padded input {} smaller than window {}", before + in + after, k));
    return {(before + in + after - k) / s + 1, before};
  }
  const std::int64_t out = (in + s - 1) / s;
  const std::int64_t pad_total = std::max<std::int64_t>((out - 1) * s + k - in, 0);
  return {out, pad_total / 2};
}

WindowAxis window_rows(const Attrs& a, std::int64_t in, std::int64_t k) {
  return window_axis(in, dilated_span(k, a.dilation_h), a.stride_h, a.padding, a.pad_top, a.pad_bottom);
}

WindowAxis window_cols(const Attrs& a, std::int64_t in, std::int64_t k) {
  return window_axis(in, dilated_span(k, a.dilation_w), a.stride_w, a.padding, a.pad_left, a.pad_right);
}

NodeId Graph::add(Node node) {
  const auto id = static_cast<NodeId>(nodes_.size());
  if (static_cast<int>(node.inputs.size()) != arity(node.op))
    throw std::logic_error(fmt::format("graph: {} '{}' takes {} inputs, got {}", spelling(node.op), node.name,
                                       arity(node.op), node.inputs.size()));
  for (NodeId in : node.inputs)
    if (in < 0 || in >= id)
      throw std::logic_error(fmt::format("graph: {} '{}' uses %{} which is not defined before it", spelling(node.op),
                                         node.name, in));
  // Leaves and shape-carrying ops validate their own shape; the others derive it.
  Shape inferred = infer_shape(*this, node);
  if (!node.shape.empty() && node.shape != inferred)
    throw std::logic_error(fmt::format("graph: {} '{}' declared shape {} but its rule gives {}", spelling(node.op),
                                       node.name, to_string(node.shape), to_string(inferred)));
  node.shape = std::move(inferred);
  nodes_.push_back(std::move(node));
  return id;
}

void Graph::set_output(std::string name, NodeId id) {
  for (auto& [existing, node] : outputs_)
    if (existing == name) {
      node = id;
      return;
    }
  outputs_.emplace_back(std::move(name), id);
}

NodeId Graph::output(std::string_view name) const {
  for (const auto& [existing, node] : outputs_)
    if (existing == name) return node;
  return -1;
}

NodeId Graph::find_variable(std::string_view name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if ((nodes_[i].op == OpKind::Param || nodes_[i].op == OpKind::State) && nodes_[i].name == name)
      return static_cast<NodeId>(i);
  return -1;
}

namespace {

/// The attributes the op reads (ops.def), as ` {name=value, ...}`; empty when
/// none. The pad_* cells only mean something under explicit padding; a
/// dilation of 1 and an uncounted padding are left out (the common case).
std::string attrs_text(const Node& n) {
  const AttrSet used = op_info(n.op).attrs;
  const AttrSet pads = attr_bit(AttrId::pad_top) | attr_bit(AttrId::pad_bottom) | attr_bit(AttrId::pad_left) |
                       attr_bit(AttrId::pad_right);
  std::string body;
  for_each_attr(n.attrs, [&](AttrId id, const auto& value) {
    if (!(used & attr_bit(id))) return;
    if ((pads & attr_bit(id)) && n.attrs.padding != Padding::Explicit) return;
    if ((id == AttrId::dilation_h || id == AttrId::dilation_w) && n.attrs.dilation_h == 1 && n.attrs.dilation_w == 1) return;
    if (id == AttrId::count_pad && !n.attrs.count_pad) return;
    body += fmt::format("{}{}={}", body.empty() ? "" : ", ", attr_name(id), attr_text(value));
  });
  return body.empty() ? std::string{} : " {" + body + "}";
}

}  // namespace

std::string print(const Graph& graph) {
  std::string out;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const Node& n = graph.node(static_cast<NodeId>(i));
    std::vector<std::string> ins;
    for (NodeId in : n.inputs) ins.push_back(fmt::format("%{}", in));
    out += fmt::format("%{} = {}({}){} : {}", i, spelling(n.op), fmt::join(ins, ", "), attrs_text(n),
                       to_string(n.shape));
    if (!n.name.empty()) out += "  # " + n.name;
    out += '\n';
  }
  for (const auto& [name, id] : graph.outputs()) out += fmt::format("output {} = %{}\n", name, id);
  if (!graph.effects().empty()) {
    std::vector<std::string> ids;
    for (NodeId id : graph.effects()) ids.push_back(fmt::format("%{}", id));
    out += fmt::format("effects {}\n", fmt::join(ids, ", "));
  }
  return out;
}

}  // namespace tl::ir
