// The graph container, op metadata expanded from ops.def, window geometry and
// the textual dump (`tlc --emit=graph`). Shape rules and the verifier live in
// shape_rules.cpp.
#include "compiler/ir/graph.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>

namespace tl::ir {

int arity(OpKind op) {
  switch (op) {
#define TL_OP(name, arity, spelling, doc) \
  case OpKind::name:                      \
    return arity;
#include "compiler/ir/ops.def"
#undef TL_OP
  }
  throw std::logic_error("arity: unknown op");
}

std::string_view spelling(OpKind op) {
  switch (op) {
#define TL_OP(name, arity, spelling, doc) \
  case OpKind::name:                      \
    return spelling;
#include "compiler/ir/ops.def"
#undef TL_OP
  }
  throw std::logic_error("spelling: unknown op");
}

bool is_update(OpKind op) { return op == OpKind::AdamUpdate || op == OpKind::SgdUpdate || op == OpKind::MovingAverage; }

std::int64_t element_count(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::string to_string(const Shape& shape) { return fmt::format("({})", fmt::join(shape, ",")); }

WindowAxis window_axis(std::int64_t in, std::int64_t k, std::int64_t s, Padding padding) {
  if (in <= 0 || k <= 0 || s <= 0) throw std::logic_error(fmt::format("window: bad in={} k={} s={}", in, k, s));
  if (padding == Padding::Valid) {
    if (in < k) throw std::logic_error(fmt::format("window: input {} smaller than window {}", in, k));
    return {(in - k) / s + 1, 0};
  }
  const std::int64_t out = (in + s - 1) / s;
  const std::int64_t pad_total = std::max<std::int64_t>((out - 1) * s + k - in, 0);
  return {out, pad_total / 2};
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

std::string padding_name(Padding p) { return p == Padding::Valid ? "valid" : "same"; }

std::string window_attrs(const Attrs& a) {
  return fmt::format("window={}x{}, stride={}x{}, {}", a.window_h, a.window_w, a.stride_h, a.stride_w,
                     padding_name(a.padding));
}

/// The attributes that matter for an op, as `{...}` (empty when none do).
std::string attrs_text(const Node& n) {
  const Attrs& a = n.attrs;
  std::string body;
  switch (n.op) {
    case OpKind::Input:
      body = a.role == InputRole::Images ? "images" : "labels";
      break;
    case OpKind::Fill:
    case OpKind::Scale:
      body = fmt::format("value={}", a.value);
      break;
    case OpKind::Rsqrt:
      body = fmt::format("eps={}", a.eps);
      break;
    case OpKind::MatMul:
      if (a.trans_a) body = "trans_a";
      if (a.trans_b) body += body.empty() ? "trans_b" : ", trans_b";
      break;
    case OpKind::Conv2D:
      body = fmt::format("stride={}x{}, {}", a.stride_h, a.stride_w, padding_name(a.padding));
      break;
    case OpKind::Conv2DGradInput:
    case OpKind::Conv2DGradFilter:
    case OpKind::MaxPool2D:
    case OpKind::MaxPool2DGrad:
    case OpKind::AvgPool2D:
    case OpKind::AvgPool2DGrad:
      body = window_attrs(a);
      break;
    case OpKind::DropoutMask:
      body = fmt::format("rate={}, stream={:#x}", a.rate, a.stream);
      break;
    case OpKind::AdamUpdate:
      body = fmt::format("lr={}, beta1={}, beta2={}, eps={}", a.lr, a.beta1, a.beta2, a.eps);
      break;
    case OpKind::SgdUpdate:
      body = fmt::format("lr={}, momentum={}{}", a.lr, a.momentum, a.nesterov ? ", nesterov" : "");
      break;
    case OpKind::MovingAverage:
      body = fmt::format("momentum={}", a.momentum);
      break;
    case OpKind::Param:
    case OpKind::State:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Neg:
    case OpKind::Square:
    case OpKind::Relu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::BiasAdd:
    case OpKind::ChannelMul:
    case OpKind::ChannelSum:
    case OpKind::ChannelMean:
    case OpKind::ChannelBroadcast:
    case OpKind::Reshape:
    case OpKind::Softmax:
    case OpKind::GlobalMaxPool2D:
    case OpKind::GlobalMaxPool2DGrad:
    case OpKind::ReluGrad:
    case OpKind::SigmoidGrad:
    case OpKind::TanhGrad:
    case OpKind::SoftmaxGrad:
    case OpKind::SoftmaxXent:
    case OpKind::SoftmaxXentGrad:
    case OpKind::ProbXent:
    case OpKind::ProbXentGrad:
    case OpKind::CountCorrect:
      break;
  }
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
