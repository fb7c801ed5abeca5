// Model -> step graph (see step_graph.hpp). One lowering function per layer
// kind; shapes in comments include the batch dimension B.
#include "compiler/lower/step_graph.hpp"

#include <optional>

#include "compiler/autodiff/autodiff.hpp"
#include "compiler/lower/append_updates.hpp"
#include "compiler/lower/clip_gradients.hpp"

namespace tl::lower {

namespace {

using check::Activation;
using check::Layer;
using check::LayerKind;
using ir::NodeId;
using ir::OpKind;

struct Lowering {
  const check::ModelSpec& model;
  std::int64_t batch;
  StepKind kind;
  const std::set<std::string>& frozen_names;
  StepGraph out;
  std::vector<NodeId> value;          // output node of each layer
  NodeId output_pre_activation = -1;  // logits of the output layer

  ir::Graph& g() { return out.graph; }
  /// Dropout on, batch statistics: a train step or its gradient half.
  bool training() const { return kind == StepKind::Train || kind == StepKind::Gradients; }

  NodeId add(OpKind op, std::vector<NodeId> inputs, const std::string& name, const Layer& layer, ir::Attrs attrs = {},
             ir::Shape shape = {}) {
    ir::Node n;
    n.op = op;
    n.inputs = std::move(inputs);
    n.name = name;
    n.attrs = attrs;
    n.shape = std::move(shape);
    n.origin = {layer.where.offset, layer.where.length};
    return g().add(std::move(n));
  }

  /// A persistent tensor: Param (trainable or frozen) or State (statistics).
  NodeId variable(const Layer& layer, const check::ParamSpec& p) {
    const std::string name = check::ModelSpec::tensor_name(layer, p);
    const bool is_param = p.trainable;
    const NodeId id = add(is_param ? OpKind::Param : OpKind::State, {}, name, layer, {}, p.shape);
    if (is_param) (frozen_names.count(name) ? out.frozen : out.trainable).push_back(id);
    return id;
  }

  ir::Shape batched(const ir::Shape& s) const {
    ir::Shape b{batch};
    b.insert(b.end(), s.begin(), s.end());
    return b;
  }

  /// The layer's activation applied to x: its forward op (activations.def),
  /// with its parameters in the op's attributes.
  NodeId activation(NodeId x, const Layer& layer) {
    const ir::ActivationInfo& info = ir::activation_info(layer.activation);
    if (!info.forward) return x;
    ir::Attrs a;
    ir::set_params(a, info, layer.activation_params);
    return add(*info.forward, {x}, layer.name + "/" + std::string(info.spelling), layer, a);
  }

  /// True when every trainable tensor of `layer` is frozen.
  bool frozen_layer(const Layer& layer) const {
    bool any = false;
    for (const check::ParamSpec& p : layer.params) {
      if (!p.trainable) continue;
      any = true;
      if (!frozen_names.count(check::ModelSpec::tensor_name(layer, p))) return false;
    }
    return any;
  }

  /// x (B,...,C) -> y; train: batch statistics and moving-average effects;
  /// otherwise, and for a frozen layer in a train step too (as Keras runs a
  /// frozen BatchNormalization: in inference mode), the moving statistics,
  /// which then never move.
  NodeId batchnorm(NodeId x, const Layer& l) {
    const NodeId gamma = variable(l, l.params[0]);
    const NodeId beta = variable(l, l.params[1]);
    const NodeId moving_mean = variable(l, l.params[2]);
    const NodeId moving_var = variable(l, l.params[3]);
    ir::Attrs eps;
    eps.eps = l.epsilon;
    if (training() && !frozen_layer(l)) {
      // In a data-parallel step (Gradients) the statistics are the whole
      // batch's: each process's means, weighted by its rows, added over the
      // processes (process_mean), so every process normalises as one process
      // would the whole batch; the adjoint carries the same sums backward.
      auto whole_batch = [&](NodeId m, const std::string& name) {
        return kind == StepKind::Gradients ? add(OpKind::ProcessMean, {m}, name, l) : m;
      };
      const NodeId mean = whole_batch(add(OpKind::ChannelMean, {x}, l.name + "/mean", l), l.name + "/mean_all");
      const NodeId centered = add(OpKind::BiasAdd, {x, add(OpKind::Neg, {mean}, l.name + "/neg_mean", l)}, l.name + "/centered", l);
      const NodeId var = whole_batch(add(OpKind::ChannelMean, {add(OpKind::Square, {centered}, l.name + "/sq", l)}, l.name + "/var", l),
                                     l.name + "/var_all");
      const NodeId inv = add(OpKind::Rsqrt, {var}, l.name + "/inv_std", l, eps);
      // centered * (inv_std * gamma): the per-channel factor first, so that
      // no normalized tensor is stored for the backward pass, whose gamma and
      // inv_std gradients then share one sum, sum(g * centered).
      const NodeId factor = add(OpKind::Mul, {inv, gamma}, l.name + "/factor", l);
      ir::Attrs m;
      m.momentum = l.momentum;
      g().add_effect(add(OpKind::MovingAverage, {moving_mean, mean}, l.name + "/update_mean", l, m));
      g().add_effect(add(OpKind::MovingAverage, {moving_var, var}, l.name + "/update_variance", l, m));
      return add(OpKind::BiasAdd, {add(OpKind::ChannelMul, {centered, factor}, l.name + "/scaled", l), beta}, l.name, l);
    }
    const NodeId centered =
        add(OpKind::BiasAdd, {x, add(OpKind::Neg, {moving_mean}, l.name + "/neg_mean", l)}, l.name + "/centered", l);
    const NodeId inv = add(OpKind::Rsqrt, {moving_var}, l.name + "/inv_std", l, eps);
    const NodeId factor = add(OpKind::Mul, {inv, gamma}, l.name + "/factor", l);
    return add(OpKind::BiasAdd, {add(OpKind::ChannelMul, {centered, factor}, l.name + "/scaled", l), beta}, l.name, l);
  }

  /// Channels [offset, offset + count) of x.
  NodeId slice(NodeId x, std::int64_t offset, std::int64_t count, const std::string& name, const Layer& l) {
    ir::Shape shape = g().node(x).shape;
    shape.back() = count;
    ir::Attrs a;
    a.offset = static_cast<int>(offset);
    return add(OpKind::SliceChannels, {x}, name, l, a, std::move(shape));
  }

  /// parts[first, last) side by side along the channels, as a balanced tree
  /// of concats (each value is copied log2(parts) times, not parts times).
  NodeId concat(const std::vector<NodeId>& parts, std::size_t first, std::size_t last, const std::string& name,
                const Layer& l) {
    if (last - first == 1) return parts[first];
    const std::size_t mid = first + (last - first) / 2;
    return add(OpKind::Concat, {concat(parts, first, mid, name, l), concat(parts, mid, last, name, l)}, name, l);
  }

  /// conv2d with groups: each group of input channels convolved with its
  /// block of the kernel's outputs. groups = channels is a depthwise conv
  /// whose (K,K,1,C*M) kernel is the depthwise (K,K,C,M) one reshaped.
  NodeId grouped_conv(NodeId x, NodeId kernel, const Layer& l, const ir::Attrs& a) {
    const ir::Shape k = g().node(kernel).shape;  // (K,K,C/groups,filters); a copy: add() moves nodes
    const std::int64_t channels = g().node(x).shape.back();
    if (k[2] == 1 && l.groups == channels) {
      const NodeId dw = add(OpKind::Reshape, {kernel}, l.name + "/depthwise_kernel", l, {}, {k[0], k[1], channels, k[3] / channels});
      return add(OpKind::DepthwiseConv2D, {x, dw}, l.name + "/conv", l, a);
    }
    const std::int64_t outs = k[3] / l.groups;
    std::vector<NodeId> parts;
    for (int j = 0; j < l.groups; ++j) {
      const std::string group = l.name + "/group" + std::to_string(j);
      parts.push_back(add(OpKind::Conv2D,
                          {slice(x, j * k[2], k[2], group + "/input", l), slice(kernel, j * outs, outs, group + "/kernel", l)},
                          group + "/conv", l, a));
    }
    return concat(parts, 0, parts.size(), l.name + "/conv", l);
  }

  NodeId layer(std::size_t index) {
    const Layer& l = model.layers[index];
    auto in = [&](std::size_t k = 0) { return value[static_cast<std::size_t>(l.inputs.at(k))]; };
    ir::Attrs a;
    a.window_h = l.window_h;
    a.window_w = l.window_w;
    a.stride_h = l.stride_h;
    a.stride_w = l.stride_w;
    a.padding = l.padding;
    a.pad_top = l.pads[0], a.pad_bottom = l.pads[1], a.pad_left = l.pads[2], a.pad_right = l.pads[3];
    a.dilation_h = l.dilation_h;
    a.dilation_w = l.dilation_w;
    a.count_pad = l.count_include_pad;
    NodeId pre = -1;  // before the activation
    switch (l.kind) {
      case LayerKind::Input: {
        ir::Attrs role;
        role.role = ir::InputRole::Images;
        return add(OpKind::Input, {}, "images", l, role, batched(l.shape));
      }
      case LayerKind::Conv2D: {
        pre = l.groups > 1 ? grouped_conv(in(), variable(l, l.params[0]), l, a)
                           : add(OpKind::Conv2D, {in(), variable(l, l.params[0])}, l.name + "/conv", l, a);
        if (l.use_bias) pre = add(OpKind::BiasAdd, {pre, variable(l, l.params[1])}, l.name + "/bias", l);
        break;
      }
      case LayerKind::DepthwiseConv2D: {
        pre = add(OpKind::DepthwiseConv2D, {in(), variable(l, l.params[0])}, l.name + "/conv", l, a);
        if (l.use_bias) pre = add(OpKind::BiasAdd, {pre, variable(l, l.params[1])}, l.name + "/bias", l);
        break;
      }
      case LayerKind::Dense: {
        pre = add(OpKind::MatMul, {in(), variable(l, l.params[0])}, l.name + "/matmul", l);
        if (l.use_bias) pre = add(OpKind::BiasAdd, {pre, variable(l, l.params[1])}, l.name + "/bias", l);
        break;
      }
      case LayerKind::MaxPool2D: return add(OpKind::MaxPool2D, {in()}, l.name, l, a);
      case LayerKind::AvgPool2D: return add(OpKind::AvgPool2D, {in()}, l.name, l, a);
      case LayerKind::GlobalMaxPool2D: return add(OpKind::GlobalMaxPool2D, {in()}, l.name, l);
      case LayerKind::GlobalAvgPool2D: return add(OpKind::GlobalAvgPool2D, {in()}, l.name, l);
      case LayerKind::Flatten: return add(OpKind::Reshape, {in()}, l.name, l, {}, batched(l.shape));
      case LayerKind::Dropout: {
        if (!training() || l.rate == 0) return in();
        ir::Attrs d;
        d.rate = l.rate;
        d.stream = model.random_stream(l.name);
        const NodeId mask = add(OpKind::DropoutMask, {}, l.name + "/mask", l, d, batched(l.shape));
        return add(OpKind::Mul, {in(), mask}, l.name, l);
      }
      case LayerKind::BatchNorm: return batchnorm(in(), l);
      case LayerKind::Activation: pre = in(); break;
      case LayerKind::Add: {
        NodeId sum = in(0);
        for (std::size_t k = 1; k < l.inputs.size(); ++k) sum = add(OpKind::Add, {sum, in(k)}, l.name, l);
        return sum;
      }
      case LayerKind::Concat: {
        std::vector<NodeId> parts;
        for (std::size_t k = 0; k < l.inputs.size(); ++k) parts.push_back(in(k));
        return concat(parts, 0, parts.size(), l.name, l);
      }
      case LayerKind::Multiply: {
        // Inputs of the layer's shape multiply in order; a (C) input is
        // spread over the image's positions first.
        std::optional<NodeId> product;
        std::vector<NodeId> channel_scales;
        for (std::size_t k = 0; k < l.inputs.size(); ++k) {
          if (model.layers[static_cast<std::size_t>(l.inputs[k])].shape != l.shape) {
            channel_scales.push_back(in(k));
            continue;
          }
          product = product ? add(OpKind::Mul, {*product, in(k)}, l.name, l) : in(k);
        }
        for (const NodeId s : channel_scales)
          product = add(OpKind::Mul, {*product, add(OpKind::SpatialBroadcast, {*product, s}, l.name + "/spread", l)}, l.name, l);
        return *product;
      }
    }
    if (static_cast<int>(index) == model.output) output_pre_activation = pre;
    return activation(pre, l);
  }
};

/// Clipping, the optimizer's updates and the per-layer learning-rate
/// multipliers (`| lr {layer: factor}`) for `grads`.
void append_optimizer(ir::Graph& g, autodiff::Gradients grads, const check::TrainConfig& train,
                      const check::ModelSpec& model, ir::Origin origin) {
  if (train.clip_norm > 0) grads = clip_by_global_norm(g, grads, train.clip_norm, origin);
  append_updates(g, grads, train.optimizer);
  for (const NodeId effect : g.effects()) {
    ir::Node& update = g.node(effect);
    if (!(ir::op_info(update.op).attrs & ir::attr_bit(ir::AttrId::lr))) continue;  // not an optimizer's update
    const auto it = model.lr_factors.find(g.node(update.inputs[0]).name);
    if (it != model.lr_factors.end()) update.attrs.lr *= it->second;
  }
}

}  // namespace

StepGraph build_step(const check::ModelSpec& model, std::int64_t batch, StepKind kind, const check::TrainConfig* train,
                     const std::set<std::string>& frozen) {
  Lowering lw{model, batch, kind, frozen, {}, {}, -1};
  // 1. Forward, layer by layer.
  for (std::size_t i = 0; i < model.layers.size(); ++i) lw.value.push_back(lw.layer(i));
  const NodeId scores = lw.value[static_cast<std::size_t>(model.output)];
  const Layer& out_layer = model.layers[static_cast<std::size_t>(model.output)];
  if (kind == StepKind::Predict) {
    lw.g().set_output("scores", scores);
    return std::move(lw.out);
  }

  // 2. Loss: a softmax output is fused with the cross-entropy through its logits.
  ir::Attrs role;
  role.role = ir::InputRole::Labels;
  const NodeId labels = lw.add(OpKind::Input, {}, "labels", out_layer, role, {batch});
  const bool fuse = !train->loss.from_logits && out_layer.activation == Activation::Softmax && lw.output_pre_activation >= 0;
  const NodeId logits = fuse || train->loss.from_logits ? (fuse ? lw.output_pre_activation : scores) : -1;
  // Label smoothing shapes the training objective; evaluations measure the
  // plain cross-entropy.
  ir::Attrs smoothing;
  if (lw.training()) smoothing.smoothing = train->loss.label_smoothing;
  const NodeId loss = logits >= 0 ? lw.add(OpKind::SoftmaxXent, {logits, labels}, "loss", out_layer, smoothing)
                                  : lw.add(OpKind::ProbXent, {scores, labels}, "loss", out_layer, smoothing);
  lw.g().set_output("loss", loss);
  lw.g().set_output("correct", lw.add(OpKind::CountCorrect, {scores, labels}, "correct", out_layer));
  if (kind == StepKind::Eval) {
    lw.g().set_output("scores", scores);
    return std::move(lw.out);
  }

  // 3. Backward to the trainable params only, then their updates (or, for
  // the gradient half of a data-parallel step, the gradients as outputs).
  autodiff::Gradients grads = autodiff::differentiate(lw.g(), loss, lw.out.trainable);
  if (kind == StepKind::Gradients) {
    for (const auto& [param, grad] : grads.params) lw.g().set_output(gradient_output(lw.g().node(param).name), grad);
    ir::verify(lw.g());
    return std::move(lw.out);
  }
  append_optimizer(lw.g(), grads, *train, model, lw.g().node(loss).origin);
  ir::verify(lw.g());
  return std::move(lw.out);
}

std::string gradient_output(const std::string& tensor) { return "grad:" + tensor; }

StepGraph build_apply(const check::ModelSpec& model, const check::TrainConfig& train,
                      const std::vector<std::pair<std::string, ir::Shape>>& gradients) {
  StepGraph out;
  autodiff::Gradients grads;
  for (const auto& [name, shape] : gradients) {
    ir::Node param{OpKind::Param, {}, shape, {}, name, {}};
    const NodeId p = out.graph.add(std::move(param));
    ir::Node sum{OpKind::State, {}, shape, {}, gradient_output(name), {}};
    grads.params.emplace_back(p, out.graph.add(std::move(sum)));
    out.trainable.push_back(p);
  }
  append_optimizer(out.graph, grads, train, model, {});
  ir::verify(out.graph);
  return out;
}

}  // namespace tl::lower
