// Optimizer forms, slots and step scalars (see optimizer.hpp).
#include "compiler/ir/optimizer.hpp"

namespace tl::ir {

UpdateForm update_form(const OptimizerSpec& spec, bool decayed) {
  UpdateForm form{OpKind::AdamUpdate, {}, {}};
  form.attrs.lr = spec.lr;
  if (decayed) {
    form.attrs.decay = spec.weight_decay;
    form.attrs.l2 = spec.l2;
  }
  switch (spec.kind) {
    case OptimizerSpec::Kind::Adam:
      form.attrs.beta1 = spec.beta1;
      form.attrs.beta2 = spec.beta2;
      form.attrs.eps = spec.eps;
      form.slots = {"adam_m", "adam_v"};
      return form;
    case OptimizerSpec::Kind::Sgd:
      form.op = OpKind::SgdUpdate;
      form.attrs.momentum = spec.momentum;
      form.attrs.nesterov = spec.nesterov;
      form.slots = {spec.momentum != 0.0 || spec.nesterov ? "momentum" : ""};
      return form;
  }
  return form;
}

int slot_count(OpKind update) {
  if (category(update) != OpCategory::Update) return 0;
  switch (sub_op<UpdateOp>(update)) {
    case UpdateOp::AdamUpdate: return 2;
    case UpdateOp::SgdUpdate: return 1;
    case UpdateOp::MovingAverage: return 0;
  }
  return 0;
}

bool is_optimizer_slot(std::string_view tensor) {
  for (const OptimizerSpec::Kind kind : {OptimizerSpec::Kind::Adam, OptimizerSpec::Kind::Sgd}) {
    OptimizerSpec spec;
    spec.kind = kind;
    spec.momentum = 0.5;  // a stateful SGD: its slot's name
    for (const std::string& suffix : update_form(spec).slots) {
      const std::string tail = "/" + suffix;
      if (!suffix.empty() && tensor.size() > tail.size() && tensor.substr(tensor.size() - tail.size()) == tail) return true;
    }
  }
  return false;
}

bool takes_step_scalar(OpKind update) {
  if (category(update) != OpCategory::Update) return false;
  switch (sub_op<UpdateOp>(update)) {
    case UpdateOp::AdamUpdate:
    case UpdateOp::SgdUpdate: return true;
    case UpdateOp::MovingAverage: return false;
  }
  return false;
}

int step_scalar_count(OpKind update, const Attrs& a) {
  if (!takes_step_scalar(update)) return 0;
  return a.decay != 0.0 ? 2 : 1;
}

float decay_keep(const Attrs& a, double lr_scale) { return static_cast<float>(1.0 - a.lr * lr_scale * a.decay); }

std::array<float, 2> step_scalars(OpKind update, const Attrs& a, std::uint64_t step, double lr_scale) {
  if (!takes_step_scalar(update)) return {0.0f, 1.0f};
  return {step_scalar(update, a, step, lr_scale), a.decay != 0.0 ? decay_keep(a, lr_scale) : 1.0f};
}

float step_scalar(OpKind update, const Attrs& a, std::uint64_t step, double lr_scale) {
  const double lr = a.lr * lr_scale;
  if (sub_op<UpdateOp>(update) != UpdateOp::AdamUpdate) return static_cast<float>(lr);
  const auto t = static_cast<double>(step);
  return static_cast<float>(lr * std::sqrt(1.0 - std::pow(a.beta2, t)) / (1.0 - std::pow(a.beta1, t)));
}

}  // namespace tl::ir
