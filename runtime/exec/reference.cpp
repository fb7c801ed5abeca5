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
    switch (n.op) {
      case OpKind::Input: {
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
      case OpKind::Param:
      case OpKind::State: {
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
      case OpKind::Fill: k::fill_to(out, n.shape, static_cast<float>(n.attrs.value)); break;
      case OpKind::Add: k::add(in(0), in(1), out); break;
      case OpKind::Mul: k::mul(in(0), in(1), out); break;
      case OpKind::Neg: k::neg(in(0), out); break;
      case OpKind::Square: k::square(in(0), out); break;
      case OpKind::Rsqrt: k::rsqrt(in(0), static_cast<float>(n.attrs.eps), out); break;
      case OpKind::Scale: k::scale(in(0), static_cast<float>(n.attrs.value), out); break;
      case OpKind::Relu: k::relu(in(0), out); break;
      case OpKind::Sigmoid: k::sigmoid(in(0), out); break;
      case OpKind::Tanh: k::tanh(in(0), out); break;
      case OpKind::BiasAdd: k::bias_add(in(0), in(1), out); break;
      case OpKind::ChannelMul: k::channel_mul(in(0), in(1), out); break;
      case OpKind::ChannelSum: k::channel_sum(in(0), out); break;
      case OpKind::ChannelMean: k::channel_mean(in(0), out); break;
      case OpKind::ChannelBroadcast: k::channel_broadcast(in(0), n.shape, out); break;
      case OpKind::Reshape: k::reshape(in(0), n.shape, out); break;
      case OpKind::MatMul: k::matmul(in(0), in(1), n.attrs.trans_a, n.attrs.trans_b, out); break;
      case OpKind::Softmax: k::softmax(in(0), out); break;
      case OpKind::Conv2D: k::conv2d(in(0), in(1), n.attrs, out); break;
      case OpKind::Conv2DGradInput: k::conv2d_grad_input(in(0), in(1), n.attrs, n.shape, out); break;
      case OpKind::Conv2DGradFilter: k::conv2d_grad_filter(in(0), in(1), n.attrs, out); break;
      case OpKind::MaxPool2D: k::maxpool2d(in(0), n.attrs, out); break;
      case OpKind::MaxPool2DGrad: k::maxpool2d_grad(in(0), in(1), n.attrs, out); break;
      case OpKind::AvgPool2D: k::avgpool2d(in(0), n.attrs, out); break;
      case OpKind::AvgPool2DGrad: k::avgpool2d_grad(in(0), n.attrs, n.shape, out); break;
      case OpKind::GlobalMaxPool2D: k::global_maxpool2d(in(0), out); break;
      case OpKind::GlobalMaxPool2DGrad: k::global_maxpool2d_grad(in(0), in(1), out); break;
      case OpKind::ReluGrad: k::relu_grad(in(0), in(1), out); break;
      case OpKind::SigmoidGrad: k::sigmoid_grad(in(0), in(1), out); break;
      case OpKind::TanhGrad: k::tanh_grad(in(0), in(1), out); break;
      case OpKind::SoftmaxGrad: k::softmax_grad(in(0), in(1), out); break;
      case OpKind::DropoutMask: k::dropout_mask(n.shape, n.attrs.rate, n.attrs.stream, ctx.seed, ctx.step, out); break;
      case OpKind::SoftmaxXent: k::softmax_xent(in(0), in(1), out); break;
      case OpKind::SoftmaxXentGrad: k::softmax_xent_grad(in(0), in(1), in(2), out); break;
      case OpKind::ProbXent: k::prob_xent(in(0), in(1), out); break;
      case OpKind::ProbXentGrad: k::prob_xent_grad(in(0), in(1), in(2), out); break;
      case OpKind::CountCorrect: k::count_correct(in(0), in(1), out); break;
      case OpKind::AdamUpdate:
        slots_[i].resize(2);
        k::adam_update(in(0), in(1), in(2), in(3), n.attrs, ctx.step, out, slots_[i][0], slots_[i][1]);
        break;
      case OpKind::SgdUpdate:
        slots_[i].resize(1);
        k::sgd_update(in(0), in(1), in(2), n.attrs, out, slots_[i][0]);
        break;
      case OpKind::MovingAverage: k::moving_average(in(0), in(1), n.attrs, out); break;
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
