// The adjoint rules, one small case per op, all together (tinygrad-style).
// In each case `g` is the adjoint of the node's output y and `x(i)` its i-th
// input; `r.give(i, ...)` builds d loss / d x(i) only if that input needs it.
// Every case is checked against central finite differences in
// tests/unit/test_autodiff.cpp.
#include <fmt/format.h>

#include <stdexcept>

#include "compiler/autodiff/rules.hpp"
#include "compiler/ir/activation.hpp"

namespace tl::autodiff {

using ir::Attrs;
using ir::NodeId;
using ir::OpCategory;
using ir::OpKind;

Rule::Rule(ir::Graph& graph, NodeId self, NodeId g, std::vector<bool> needed)
    : graph_(graph),
      self_(self),
      node_(graph.node(self)),
      g_(g),
      needed_(std::move(needed)),
      contributions_(node_.inputs.size(), -1),
      first_new_(static_cast<NodeId>(graph.size())) {}

NodeId Rule::emit(OpKind op, std::vector<NodeId> inputs, Attrs attrs, ir::Shape shape) {
  ir::Node n{op, std::move(inputs), std::move(shape), attrs, grad_name(graph_, self_), node_.origin};
  return graph_.add(std::move(n));
}

void Rule::give(std::size_t i, const std::function<NodeId()>& build) {
  if (!needed_[i]) return;
  const NodeId c = build();
  if (c >= first_new_) graph_.node(c).name = grad_name(graph_, input(i));
  contributions_[i] = c;
}

std::string grad_name(const ir::Graph& graph, NodeId id) {
  const std::string& name = graph.node(id).name;
  return name.empty() ? fmt::format("grad/%{}", id) : "grad/" + name;
}

namespace {

Attrs with_value(double value) {
  Attrs a;
  a.value = value;
  return a;
}

Attrs with_trans(bool trans_a, bool trans_b) {
  Attrs a;
  a.trans_a = trans_a;
  a.trans_b = trans_b;
  return a;
}

[[noreturn]] void no_rule(const Rule& r, const char* why) {
  throw std::logic_error(fmt::format("autodiff: cannot differentiate through {} '{}' (%{}): {}",
                                     ir::spelling(r.node().op), r.node().name, r.self(), why));
}

/// An activation's rule (activations.def): its gradient op applied to the
/// forward value it reads (y or x) and g, with the forward op's attributes.
void activation_rule(Rule& r) {
  const ir::ActivationInfo* info = ir::activation_of_op(r.node().op);
  if (!info || !info->gradient) no_rule(r, "not an activation with a gradient op");
  const NodeId forward_value = info->reads == ir::GradReads::Output ? r.self() : r.input(0);
  r.give(0, [&] { return r.emit(*info->gradient, {forward_value, r.g()}, r.node().attrs); });
}

}  // namespace

void apply_rule(Rule& r) {
  const ir::Node& n = r.node();
  const NodeId g = r.g();
  const NodeId y = r.self();
  auto x = [&](std::size_t i) { return r.input(i); };

  switch (category(n.op)) {
    // Leaves have no inputs; labels, masks and metrics carry no gradient.
    case OpCategory::Bound:
    case OpCategory::Generator:
      return;

    case OpCategory::Unary:
      switch (ir::sub_op<ir::UnaryOp>(n.op)) {
        case ir::UnaryOp::Neg:
          r.give(0, [&] { return r.emit(OpKind::Neg, {g}); });
          return;
        case ir::UnaryOp::Square:  // d x^2 = 2x
          r.give(0, [&] { return r.emit(OpKind::Mul, {g, r.emit(OpKind::Scale, {x(0)}, with_value(2.0))}); });
          return;
        case ir::UnaryOp::Rsqrt:  // y = (x + eps)^-1/2, dy/dx = -0.5 y^3
          r.give(0, [&] {
            const NodeId y3 = r.emit(OpKind::Mul, {r.emit(OpKind::Square, {y}), y});
            return r.emit(OpKind::Mul, {g, r.emit(OpKind::Scale, {y3}, with_value(-0.5))});
          });
          return;
        case ir::UnaryOp::Scale:
          r.give(0, [&] { return r.emit(OpKind::Scale, {g}, with_value(n.attrs.value)); });
          return;
        case ir::UnaryOp::Relu:
        case ir::UnaryOp::Sigmoid:
        case ir::UnaryOp::Tanh:
        case ir::UnaryOp::LeakyRelu:
        case ir::UnaryOp::Gelu:
        case ir::UnaryOp::Clip:
        case ir::UnaryOp::HardSigmoid:
        case ir::UnaryOp::HardSwish:
        case ir::UnaryOp::Swish:
          return activation_rule(r);
      }
      return;

    case OpCategory::Binary:
      switch (ir::sub_op<ir::BinaryOp>(n.op)) {
        case ir::BinaryOp::Add:
          r.give(0, [&] { return g; });
          r.give(1, [&] { return g; });
          return;
        case ir::BinaryOp::Mul:
          r.give(0, [&] { return r.emit(OpKind::Mul, {g, x(1)}); });
          r.give(1, [&] { return r.emit(OpKind::Mul, {g, x(0)}); });
          return;
      }
      return;

    // Per-channel ops: x (...,C), c (C).
    case OpCategory::ChannelBinary:
      switch (ir::sub_op<ir::ChannelBinaryOp>(n.op)) {
        case ir::ChannelBinaryOp::BiasAdd:
          r.give(0, [&] { return g; });
          r.give(1, [&] { return r.emit(OpKind::ChannelSum, {g}); });
          return;
        case ir::ChannelBinaryOp::ChannelMul:
          r.give(0, [&] { return r.emit(OpKind::ChannelMul, {g, x(1)}); });
          r.give(1, [&] { return r.emit(OpKind::ChannelSum, {r.emit(OpKind::Mul, {g, x(0)})}); });
          return;
      }
      return;
    case OpCategory::ChannelReduce:
      switch (ir::sub_op<ir::ChannelReduceOp>(n.op)) {
        case ir::ChannelReduceOp::ChannelSum:
          r.give(0, [&] { return r.emit(OpKind::ChannelBroadcast, {g}, {}, r.shape_of(x(0))); });
          return;
        case ir::ChannelReduceOp::ChannelMean:  // mean over the rows: g / rows on every row
          r.give(0, [&] { return r.emit(OpKind::ChannelSpread, {g}, {}, r.shape_of(x(0))); });
          return;
      }
      return;
    // y = sum_p w_p x_p over the processes, w_p = rows_p / rows. Each process
    // differentiates its own mean loss L_p and the gradients are then added
    // as sum_p w_p dL_p (train/data_parallel.cpp), so the whole batch's loss
    // reaches x_p through y as w_p * sum_s w_s dL_s/dy; divided by w_p, that
    // is this same weighted sum of every process's g.
    case OpCategory::Collective:
      switch (ir::sub_op<ir::CollectiveOp>(n.op)) {
        case ir::CollectiveOp::ProcessMean: r.give(0, [&] { return r.emit(OpKind::ProcessMean, {g}); }); return;
      }
      return;
    case OpCategory::ChannelBroadcast:
      switch (ir::sub_op<ir::ChannelBroadcastOp>(n.op)) {
        case ir::ChannelBroadcastOp::ChannelBroadcast: r.give(0, [&] { return r.emit(OpKind::ChannelSum, {g}); }); return;
        case ir::ChannelBroadcastOp::ChannelSpread: r.give(0, [&] { return r.emit(OpKind::ChannelMean, {g}); }); return;
      }
      return;

    // Blocks of channels: each one's adjoint is the other's move.
    case OpCategory::ChannelBlock: {
      auto at = [](std::int64_t offset) {
        Attrs a;
        a.offset = static_cast<int>(offset);
        return a;
      };
      switch (ir::sub_op<ir::ChannelBlockOp>(n.op)) {
        case ir::ChannelBlockOp::Concat:
          r.give(0, [&] { return r.emit(OpKind::SliceChannels, {g}, at(0), r.shape_of(x(0))); });
          r.give(1, [&] { return r.emit(OpKind::SliceChannels, {g}, at(r.shape_of(x(0)).back()), r.shape_of(x(1))); });
          return;
        case ir::ChannelBlockOp::SliceChannels:
          r.give(0, [&] { return r.emit(OpKind::PadChannels, {g}, n.attrs, r.shape_of(x(0))); });
          return;
        case ir::ChannelBlockOp::PadChannels:
          r.give(0, [&] { return r.emit(OpKind::SliceChannels, {g}, n.attrs, r.shape_of(x(0))); });
          return;
      }
      return;
    }

    case OpCategory::Reshape:
      r.give(0, [&] { return r.emit(OpKind::Reshape, {g}, {}, r.shape_of(x(0))); });
      return;
    case OpCategory::MatMul: {
      // C = op(A) op(B). With plain operands dA = g B^T and dB = A^T g; a
      // transposed operand transposes its gradient, which swaps the factors.
      const bool ta = n.attrs.trans_a, tb = n.attrs.trans_b;
      const NodeId a = x(0), b = x(1);
      r.give(0, [&] {
        return ta ? r.emit(OpKind::MatMul, {b, g}, with_trans(tb, true))    // dA = op(B) g^T
                  : r.emit(OpKind::MatMul, {g, b}, with_trans(false, !tb));  // dA = g op(B)^T
      });
      r.give(1, [&] {
        return tb ? r.emit(OpKind::MatMul, {g, a}, with_trans(true, ta))    // dB = g^T op(A)
                  : r.emit(OpKind::MatMul, {a, g}, with_trans(!ta, false));  // dB = op(A)^T g
      });
      return;
    }
    case OpCategory::Rows:
      switch (ir::sub_op<ir::RowsOp>(n.op)) {
        case ir::RowsOp::Softmax: return activation_rule(r);
        case ir::RowsOp::SoftmaxGrad: no_rule(r, "gradient ops have no second-order rule");
      }
      return;

    case OpCategory::Conv: {
      const bool depthwise = ir::sub_op<ir::ConvOp>(n.op) == ir::ConvOp::DepthwiseConv2D;
      r.give(0, [&] {
        return r.emit(depthwise ? OpKind::DepthwiseConv2DGradInput : OpKind::Conv2DGradInput, {g, x(1)}, n.attrs,
                      r.shape_of(x(0)));
      });
      r.give(1, [&] {
        // The filter gradient's window comes from attrs: copy it from the kernel.
        Attrs a = n.attrs;
        a.window_h = static_cast<int>(r.shape_of(x(1))[0]);
        a.window_w = static_cast<int>(r.shape_of(x(1))[1]);
        return r.emit(depthwise ? OpKind::DepthwiseConv2DGradFilter : OpKind::Conv2DGradFilter, {x(0), g}, a);
      });
      return;
    }
    case OpCategory::Pool:
      switch (ir::sub_op<ir::PoolOp>(n.op)) {
        case ir::PoolOp::MaxPool2D:
          r.give(0, [&] { return r.emit(OpKind::MaxPool2DGrad, {x(0), g}, n.attrs); });
          return;
        case ir::PoolOp::AvgPool2D:
          r.give(0, [&] { return r.emit(OpKind::AvgPool2DGrad, {g}, n.attrs, r.shape_of(x(0))); });
          return;
      }
      return;
    case OpCategory::GlobalPool:
      switch (ir::sub_op<ir::GlobalPoolOp>(n.op)) {
        case ir::GlobalPoolOp::GlobalMaxPool2D:
          r.give(0, [&] { return r.emit(OpKind::GlobalMaxPool2DGrad, {x(0), g}); });
          return;
        case ir::GlobalPoolOp::GlobalAvgPool2D:
          r.give(0, [&] { return r.emit(OpKind::GlobalAvgPool2DGrad, {x(0), g}); });
          return;
        case ir::GlobalPoolOp::GlobalSumPool2D:
          r.give(0, [&] { return r.emit(OpKind::SpatialBroadcast, {x(0), g}); });
          return;
      }
      return;

    // Losses: only the scores are differentiable; labels are class indices.
    case OpCategory::Loss:
      switch (ir::sub_op<ir::LossOp>(n.op)) {
        case ir::LossOp::SoftmaxXent:
          r.give(0, [&] { return r.emit(OpKind::SoftmaxXentGrad, {x(0), x(1), g}, n.attrs); });  // the smoothing
          return;
        case ir::LossOp::ProbXent:
          r.give(0, [&] { return r.emit(OpKind::ProbXentGrad, {x(0), x(1), g}, n.attrs); });
          return;
        case ir::LossOp::CountCorrect: return;  // a metric
      }
      return;

    case OpCategory::ActivationGrad:
    case OpCategory::ConvGradInput:
    case OpCategory::ConvGradFilter:
    case OpCategory::GlobalPoolGrad:
      switch (ir::sub_op<ir::GlobalPoolGradOp>(n.op)) {
        // Spreading a (B,C) tensor over x's positions (multiply's channel
        // scaling) sums back; x gives only the shape.
        case ir::GlobalPoolGradOp::SpatialBroadcast:
          r.give(1, [&] { return r.emit(OpKind::GlobalSumPool2D, {g}); });
          return;
        case ir::GlobalPoolGradOp::GlobalMaxPool2DGrad:
        case ir::GlobalPoolGradOp::GlobalAvgPool2DGrad:
          no_rule(r, "gradient ops have no second-order rule");
      }
      return;
    case OpCategory::PoolGrad:
    case OpCategory::LossGrad:
      no_rule(r, "gradient ops have no second-order rule");
    case OpCategory::Update:
      no_rule(r, "updates are side effects, not differentiable values");
  }
}

}  // namespace tl::autodiff
