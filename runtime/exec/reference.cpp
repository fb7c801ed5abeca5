// The reference interpreter's loop: bind leaves to feeds and variables, run one
// kernel per node (kernels_*.cpp), free values after their last use, then
// commit the effects.
#include "runtime/exec/reference.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "runtime/exec/kernels.hpp"

namespace tl::exec {

using ir::NodeId;
using ir::OpKind;

namespace {

void check_shape(const Tensor& t, const ir::Node& n, const char* what) {
  const ir::Shape got = kernels::shape_of(t);
  if (got != n.shape)
    throw std::runtime_error(fmt::format("{} '{}' has shape {}, the graph expects {}", what, n.name,
                                         ir::to_string(got), ir::to_string(n.shape)));
}

}  // namespace

std::unordered_map<std::string, Tensor> ReferenceExecutor::run(const ir::Graph& graph, Variables& vars,
                                                                const Feeds& feeds, const StepContext& ctx) {
  const std::size_t count = graph.size();
  // Values are borrowed (feeds, variables) or owned (computed). Borrowed
  // variables stay valid because `vars` is only written in the commit phase.
  std::vector<Tensor> owned(count);
  std::vector<const Tensor*> value(count, nullptr);
  std::unordered_map<NodeId, std::vector<Tensor>> slots;  // new optimizer slots per update node

  // A computed value can be freed after its last user unless it is read at the end.
  std::vector<NodeId> last_use(count, -1);
  for (std::size_t id = 0; id < count; ++id)
    for (NodeId in : graph.node(static_cast<NodeId>(id)).inputs) last_use[static_cast<std::size_t>(in)] = static_cast<NodeId>(id);
  for (const auto& [name, id] : graph.outputs()) last_use[static_cast<std::size_t>(id)] = static_cast<NodeId>(count);
  for (NodeId id : graph.effects()) last_use[static_cast<std::size_t>(id)] = static_cast<NodeId>(count);

  for (std::size_t i = 0; i < count; ++i) {
    const auto id = static_cast<NodeId>(i);
    const ir::Node& n = graph.node(id);
    auto in = [&](std::size_t k) -> const Tensor& { return *value[static_cast<std::size_t>(n.inputs[k])]; };
    auto put = [&](Tensor t) {
      owned[i] = std::move(t);
      value[i] = &owned[i];
    };
    namespace k = kernels;
    switch (n.op) {
      case OpKind::Input: {
        const bool images = n.attrs.role == ir::InputRole::Images;
        const Tensor* fed = images ? feeds.images : feeds.labels;
        if (fed == nullptr) throw std::runtime_error(fmt::format("input '{}' needs {} but none were fed", n.name, images ? "images" : "labels"));
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
          put(k::zeros(n.shape));
        } else {
          throw std::runtime_error(fmt::format("parameter '{}' has no value", n.name));
        }
        break;
      }
      case OpKind::Fill: put(k::filled(n.shape, static_cast<float>(n.attrs.value))); break;
      case OpKind::Add: put(k::add(in(0), in(1))); break;
      case OpKind::Mul: put(k::mul(in(0), in(1))); break;
      case OpKind::Neg: put(k::neg(in(0))); break;
      case OpKind::Square: put(k::square(in(0))); break;
      case OpKind::Rsqrt: put(k::rsqrt(in(0), static_cast<float>(n.attrs.eps))); break;
      case OpKind::Scale: put(k::scale(in(0), static_cast<float>(n.attrs.value))); break;
      case OpKind::Relu: put(k::relu(in(0))); break;
      case OpKind::Sigmoid: put(k::sigmoid(in(0))); break;
      case OpKind::Tanh: put(k::tanh(in(0))); break;
      case OpKind::BiasAdd: put(k::bias_add(in(0), in(1))); break;
      case OpKind::ChannelMul: put(k::channel_mul(in(0), in(1))); break;
      case OpKind::ChannelSum: put(k::channel_sum(in(0))); break;
      case OpKind::ChannelMean: put(k::channel_mean(in(0))); break;
      case OpKind::ChannelBroadcast: put(k::channel_broadcast(in(0), n.shape)); break;
      case OpKind::Reshape: put(k::reshape(in(0), n.shape)); break;
      case OpKind::MatMul: put(k::matmul(in(0), in(1), n.attrs.trans_a, n.attrs.trans_b)); break;
      case OpKind::Softmax: put(k::softmax(in(0))); break;
      case OpKind::Conv2D: put(k::conv2d(in(0), in(1), n.attrs)); break;
      case OpKind::Conv2DGradInput: put(k::conv2d_grad_input(in(0), in(1), n.attrs, n.shape)); break;
      case OpKind::Conv2DGradFilter: put(k::conv2d_grad_filter(in(0), in(1), n.attrs)); break;
      case OpKind::MaxPool2D: put(k::maxpool2d(in(0), n.attrs)); break;
      case OpKind::MaxPool2DGrad: put(k::maxpool2d_grad(in(0), in(1), n.attrs)); break;
      case OpKind::AvgPool2D: put(k::avgpool2d(in(0), n.attrs)); break;
      case OpKind::AvgPool2DGrad: put(k::avgpool2d_grad(in(0), n.attrs, n.shape)); break;
      case OpKind::GlobalMaxPool2D: put(k::global_maxpool2d(in(0))); break;
      case OpKind::GlobalMaxPool2DGrad: put(k::global_maxpool2d_grad(in(0), in(1))); break;
      case OpKind::ReluGrad: put(k::relu_grad(in(0), in(1))); break;
      case OpKind::SigmoidGrad: put(k::sigmoid_grad(in(0), in(1))); break;
      case OpKind::TanhGrad: put(k::tanh_grad(in(0), in(1))); break;
      case OpKind::SoftmaxGrad: put(k::softmax_grad(in(0), in(1))); break;
      case OpKind::DropoutMask: put(k::dropout_mask(n.shape, n.attrs.rate, n.attrs.stream, ctx.seed, ctx.step)); break;
      case OpKind::SoftmaxXent: put(k::softmax_xent(in(0), in(1))); break;
      case OpKind::SoftmaxXentGrad: put(k::softmax_xent_grad(in(0), in(1), in(2))); break;
      case OpKind::ProbXent: put(k::prob_xent(in(0), in(1))); break;
      case OpKind::ProbXentGrad: put(k::prob_xent_grad(in(0), in(1), in(2))); break;
      case OpKind::CountCorrect: put(k::count_correct(in(0), in(1))); break;
      case OpKind::AdamUpdate: {
        k::Updated u = k::adam_update(in(0), in(1), in(2), in(3), n.attrs, ctx.step);
        slots[id] = std::move(u.slots);
        put(std::move(u.value));
        break;
      }
      case OpKind::SgdUpdate: {
        k::Updated u = k::sgd_update(in(0), in(1), in(2), n.attrs);
        slots[id] = std::move(u.slots);
        put(std::move(u.value));
        break;
      }
      case OpKind::MovingAverage: put(k::moving_average(in(0), in(1), n.attrs)); break;
    }
    for (NodeId input : n.inputs)
      if (last_use[static_cast<std::size_t>(input)] == id) owned[static_cast<std::size_t>(input)] = Tensor();
  }

  std::unordered_map<std::string, Tensor> results;
  for (const auto& [name, id] : graph.outputs()) results[name] = *value[static_cast<std::size_t>(id)];

  // Commit: the update's value goes to its first input; slot values (inputs
  // 2.. of Adam/SGD) go to theirs when they are States (plain SGD feeds a Fill).
  std::vector<std::pair<std::string, Tensor>> commits;
  for (NodeId id : graph.effects()) {
    const ir::Node& n = graph.node(id);
    commits.emplace_back(graph.node(n.inputs[0]).name, *value[static_cast<std::size_t>(id)]);
    const auto found = slots.find(id);
    if (found == slots.end()) continue;
    for (std::size_t s = 0; s < found->second.size(); ++s) {
      const ir::Node& slot = graph.node(n.inputs[2 + s]);
      if (slot.op == OpKind::State) commits.emplace_back(slot.name, std::move(found->second[s]));
    }
  }
  for (auto& [name, tensor] : commits) vars.tensors[name] = std::move(tensor);
  return results;
}

}  // namespace tl::exec
