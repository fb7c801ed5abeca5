// The reference interpreter's loop: bind leaves to feeds and variables, run one
// kernel per node (kernels_*.cpp) into the node's buffer, then commit the
// effects.
#include "runtime/exec/reference.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "runtime/exec/check_shape.hpp"
#include "runtime/exec/kernels.hpp"

namespace tl::exec {

using ir::NodeId;
using ir::OpKind;

namespace {

/// Byte images as the floats the graph computes on: pixel * scale + offset,
/// exactly as data::gather and the JIT's fused loads compute them.
void widen(const ImageBytes& fed, const ir::Node& n, Tensor& out) {
  check_shape(fed.shape, n, "fed input");
  float* dst = kernels::reshape_to(out, n.shape);  // every element is written below
  const float scale = fed.scale, offset = fed.offset;
  for (std::size_t i = 0; i < out.size(); ++i) dst[i] = static_cast<float>(fed.data[i]) * scale + offset;
}

}  // namespace

std::unordered_map<std::string, Tensor> ReferenceExecutor::run(const ir::Graph& graph, Variables& vars,
                                                                const Feeds& feeds, const StepContext& ctx) {
  const std::size_t count = graph.size();
  buffers_.resize(count);
  slots_.resize(count);
  // Each node's value is either borrowed (a feed or a variable) or its own
  // buffer. Borrowed variables stay valid: `vars` is only written at the end.
  std::vector<const Tensor*> value(count, nullptr);

  for (std::size_t i = 0; i < count; ++i) {
    const ir::Node& n = graph.node(static_cast<NodeId>(i));
    auto in = [&](std::size_t k) -> const Tensor& { return *value[static_cast<std::size_t>(n.inputs[k])]; };
    Tensor& out = buffers_[i];
    value[i] = &out;
    namespace k = kernels;
    using ir::OpCategory;
    switch (category(n.op)) {
      case OpCategory::Bound:
        switch (ir::sub_op<ir::BoundOp>(n.op)) {
          case ir::BoundOp::Input: {
            const bool images = n.attrs.role == ir::InputRole::Images;
            if (images && feeds.image_bytes) {
              widen(*feeds.image_bytes, n, out);
              break;
            }
            const Tensor* fed = images ? feeds.images : feeds.labels;
            if (fed == nullptr)
              throw std::runtime_error(fmt::format("input '{}' needs {} but none were fed", n.name, images ? "images" : "labels"));
            check_shape(*fed, n, "fed input");
            value[i] = fed;
            break;
          }
          case ir::BoundOp::Param:
          case ir::BoundOp::State: {
            const auto found = vars.tensors.find(n.name);
            if (found != vars.tensors.end()) {
              check_shape(found->second, n, "variable");
              value[i] = &found->second;
            } else if (n.op == OpKind::State) {
              k::fill_to(out, n.shape);  // optimizer slots and statistics start at zero
            } else {
              throw std::runtime_error(fmt::format("parameter '{}' has no value", n.name));
            }
            break;
          }
        }
        break;
      case OpCategory::Generator:
        switch (ir::sub_op<ir::GeneratorOp>(n.op)) {
          case ir::GeneratorOp::Fill: k::fill_to(out, n.shape, static_cast<float>(n.attrs.value)); break;
          case ir::GeneratorOp::DropoutMask: k::dropout_mask(n.shape, n.attrs.rate, n.attrs.stream, ctx.seed, ctx.step, ctx.row_offset, out); break;
        }
        break;
      case OpCategory::Unary:
        switch (ir::sub_op<ir::UnaryOp>(n.op)) {
          case ir::UnaryOp::Neg: k::neg(in(0), out); break;
          case ir::UnaryOp::Square: k::square(in(0), out); break;
          case ir::UnaryOp::Rsqrt: k::rsqrt(in(0), static_cast<float>(n.attrs.eps), out); break;
          case ir::UnaryOp::Scale: k::scale(in(0), static_cast<float>(n.attrs.value), out); break;
          case ir::UnaryOp::Relu: k::relu(in(0), out); break;
          case ir::UnaryOp::Sigmoid: k::sigmoid(in(0), out); break;
          case ir::UnaryOp::Tanh: k::tanh(in(0), out); break;
          case ir::UnaryOp::LeakyRelu: k::leaky_relu(in(0), static_cast<float>(n.attrs.alpha), out); break;
          case ir::UnaryOp::Gelu: k::gelu(in(0), out); break;
          case ir::UnaryOp::Clip: k::clip(in(0), static_cast<float>(n.attrs.lo), static_cast<float>(n.attrs.hi), out); break;
          case ir::UnaryOp::HardSigmoid:
            k::hard_sigmoid(in(0), static_cast<float>(n.attrs.alpha), static_cast<float>(n.attrs.beta), out);
            break;
          case ir::UnaryOp::HardSwish: k::hard_swish(in(0), out); break;
          case ir::UnaryOp::Swish: k::swish(in(0), out); break;
        }
        break;
      case OpCategory::Binary:
        switch (ir::sub_op<ir::BinaryOp>(n.op)) {
          case ir::BinaryOp::Add: k::add(in(0), in(1), out); break;
          case ir::BinaryOp::Mul: k::mul(in(0), in(1), out); break;
        }
        break;
      case OpCategory::ActivationGrad:
        switch (ir::sub_op<ir::ActivationGradOp>(n.op)) {
          case ir::ActivationGradOp::ReluGrad: k::relu_grad(in(0), in(1), out); break;
          case ir::ActivationGradOp::SigmoidGrad: k::sigmoid_grad(in(0), in(1), out); break;
          case ir::ActivationGradOp::TanhGrad: k::tanh_grad(in(0), in(1), out); break;
          case ir::ActivationGradOp::LeakyReluGrad: k::leaky_relu_grad(in(0), in(1), static_cast<float>(n.attrs.alpha), out); break;
          case ir::ActivationGradOp::GeluGrad: k::gelu_grad(in(0), in(1), out); break;
          case ir::ActivationGradOp::ClipGrad:
            k::clip_grad(in(0), in(1), static_cast<float>(n.attrs.lo), static_cast<float>(n.attrs.hi), out);
            break;
          case ir::ActivationGradOp::HardSigmoidGrad:
            k::hard_sigmoid_grad(in(0), in(1), static_cast<float>(n.attrs.alpha), out);
            break;
          case ir::ActivationGradOp::HardSwishGrad: k::hard_swish_grad(in(0), in(1), out); break;
          case ir::ActivationGradOp::SwishGrad: k::swish_grad(in(0), in(1), out); break;
        }
        break;
      case OpCategory::ChannelBinary:
        switch (ir::sub_op<ir::ChannelBinaryOp>(n.op)) {
          case ir::ChannelBinaryOp::BiasAdd: k::bias_add(in(0), in(1), out); break;
          case ir::ChannelBinaryOp::ChannelMul: k::channel_mul(in(0), in(1), out); break;
        }
        break;
      case OpCategory::ChannelBroadcast:
        k::channel_broadcast(in(0), n.shape, out);
        if (ir::sub_op<ir::ChannelBroadcastOp>(n.op) == ir::ChannelBroadcastOp::ChannelSpread)  // / rows, as a Scale would
          k::scale(out, static_cast<float>(1.0 / static_cast<double>(ir::element_count(n.shape) / n.shape.back())), out);
        break;
      case OpCategory::ChannelReduce:
        switch (ir::sub_op<ir::ChannelReduceOp>(n.op)) {
          case ir::ChannelReduceOp::ChannelSum: k::channel_sum(in(0), out); break;
          case ir::ChannelReduceOp::ChannelMean: k::channel_mean(in(0), out); break;
        }
        break;
      case OpCategory::Collective:
        switch (ir::sub_op<ir::CollectiveOp>(n.op)) {
          case ir::CollectiveOp::ProcessMean:
            k::reshape(in(0), n.shape, out);
            process_mean(ctx.collectives, out.data(), out.data(), out.size());
            break;
        }
        break;
      case OpCategory::ChannelBlock:
        switch (ir::sub_op<ir::ChannelBlockOp>(n.op)) {
          case ir::ChannelBlockOp::Concat: k::concat(in(0), in(1), out); break;
          case ir::ChannelBlockOp::SliceChannels: k::slice_channels(in(0), n.attrs.offset, n.shape, out); break;
          case ir::ChannelBlockOp::PadChannels: k::pad_channels(in(0), n.attrs.offset, n.shape, out); break;
        }
        break;
      case OpCategory::Reshape: k::reshape(in(0), n.shape, out); break;
      case OpCategory::MatMul: k::matmul(in(0), in(1), n.attrs.trans_a, n.attrs.trans_b, out); break;
      case OpCategory::Rows:
        switch (ir::sub_op<ir::RowsOp>(n.op)) {
          case ir::RowsOp::Softmax: k::softmax(in(0), out); break;
          case ir::RowsOp::SoftmaxGrad: k::softmax_grad(in(0), in(1), out); break;
        }
        break;
      case OpCategory::Conv:
        switch (ir::sub_op<ir::ConvOp>(n.op)) {
          case ir::ConvOp::Conv2D: k::conv2d(in(0), in(1), n.attrs, out); break;
          case ir::ConvOp::DepthwiseConv2D: k::depthwise_conv2d(in(0), in(1), n.attrs, out); break;
        }
        break;
      case OpCategory::ConvGradInput:
        switch (ir::sub_op<ir::ConvGradInputOp>(n.op)) {
          case ir::ConvGradInputOp::Conv2DGradInput: k::conv2d_grad_input(in(0), in(1), n.attrs, n.shape, out); break;
          case ir::ConvGradInputOp::DepthwiseConv2DGradInput:
            k::depthwise_conv2d_grad_input(in(0), in(1), n.attrs, n.shape, out);
            break;
        }
        break;
      case OpCategory::ConvGradFilter:
        switch (ir::sub_op<ir::ConvGradFilterOp>(n.op)) {
          case ir::ConvGradFilterOp::Conv2DGradFilter: k::conv2d_grad_filter(in(0), in(1), n.attrs, out); break;
          case ir::ConvGradFilterOp::DepthwiseConv2DGradFilter: k::depthwise_conv2d_grad_filter(in(0), in(1), n.attrs, out); break;
        }
        break;
      case OpCategory::Pool:
        switch (ir::sub_op<ir::PoolOp>(n.op)) {
          case ir::PoolOp::MaxPool2D: k::maxpool2d(in(0), n.attrs, out); break;
          case ir::PoolOp::AvgPool2D: k::avgpool2d(in(0), n.attrs, out); break;
        }
        break;
      case OpCategory::PoolGrad:
        switch (ir::sub_op<ir::PoolGradOp>(n.op)) {
          case ir::PoolGradOp::MaxPool2DGrad: k::maxpool2d_grad(in(0), in(1), n.attrs, out); break;
          case ir::PoolGradOp::AvgPool2DGrad: k::avgpool2d_grad(in(0), n.attrs, n.shape, out); break;
        }
        break;
      case OpCategory::GlobalPool:
        switch (ir::sub_op<ir::GlobalPoolOp>(n.op)) {
          case ir::GlobalPoolOp::GlobalMaxPool2D: k::global_maxpool2d(in(0), out); break;
          case ir::GlobalPoolOp::GlobalAvgPool2D: k::global_sumpool2d(in(0), true, out); break;
          case ir::GlobalPoolOp::GlobalSumPool2D: k::global_sumpool2d(in(0), false, out); break;
        }
        break;
      case OpCategory::GlobalPoolGrad:
        switch (ir::sub_op<ir::GlobalPoolGradOp>(n.op)) {
          case ir::GlobalPoolGradOp::GlobalMaxPool2DGrad: k::global_maxpool2d_grad(in(0), in(1), out); break;
          case ir::GlobalPoolGradOp::GlobalAvgPool2DGrad: k::spatial_broadcast(in(0), in(1), true, out); break;
          case ir::GlobalPoolGradOp::SpatialBroadcast: k::spatial_broadcast(in(0), in(1), false, out); break;
        }
        break;
      case OpCategory::Loss:
        switch (ir::sub_op<ir::LossOp>(n.op)) {
          case ir::LossOp::SoftmaxXent: k::softmax_xent(in(0), in(1), n.attrs.smoothing, out); break;
          case ir::LossOp::ProbXent: k::prob_xent(in(0), in(1), n.attrs.smoothing, out); break;
          case ir::LossOp::CountCorrect: k::count_correct(in(0), in(1), out); break;
        }
        break;
      case OpCategory::LossGrad:
        switch (ir::sub_op<ir::LossGradOp>(n.op)) {
          case ir::LossGradOp::SoftmaxXentGrad: k::softmax_xent_grad(in(0), in(1), in(2), n.attrs.smoothing, out); break;
          case ir::LossGradOp::ProbXentGrad: k::prob_xent_grad(in(0), in(1), in(2), n.attrs.smoothing, out); break;
        }
        break;
      case OpCategory::Update: {
        std::vector<const Tensor*> operands;
        for (std::size_t j = 0; j < n.inputs.size(); ++j) operands.push_back(&in(j));
        k::update(n, operands, ctx.step, ctx.lr_scale, out, slots_[i]);
        break;
      }
    }
  }

  std::unordered_map<std::string, Tensor> results;
  for (const auto& [name, id] : graph.outputs()) results[name] = *value[static_cast<std::size_t>(id)];

  // Commit: the update's value becomes its first input's variable; slot values
  // (inputs 2.. of Adam/SGD) become theirs when they are States (plain SGD
  // feeds a Fill). Swapping hands the old storage back as next step's buffer.
  for (NodeId id : graph.effects()) {
    const auto i = static_cast<std::size_t>(id);
    const ir::Node& n = graph.node(id);
    std::swap(vars.tensors[graph.node(n.inputs[0]).name], buffers_[i]);
    for (std::size_t s = 0; s < slots_[i].size(); ++s) {
      const ir::Node& slot = graph.node(n.inputs[2 + s]);
      if (slot.op == OpKind::State) std::swap(vars.tensors[slot.name], slots_[i][s]);
    }
  }
  return results;
}

}  // namespace tl::exec
