// Each optimizer's semantics in one place (Keras / TF2 optimizer_v2):
//   * its settings and their defaults (OptimizerSpec);
//   * the update op it lowers to, with its attributes and the name suffixes of
//     its slot States (update_form), so lowering, model states and checkpoints
//     agree on "<param>/adam_m";
//   * the per-step scalar an update takes (Adam's bias-corrected rate);
//   * the element formula of every update op (update_element), written once
//     as a template over the arithmetic: the reference interpreter runs it on
//     floats, the JIT on LLVM values, so both compute the same operations in
//     the same order.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/op_table.hpp"

namespace tl::ir {

/// An optimizer as a script configures it; Keras defaults. Weight decay
/// comes in the two forms people mean by it, for the tensors the lowering
/// picks (kernels): `weight_decay` decoupled from the gradient (AdamW, Keras
/// 3's `weight_decay`: param *= 1 - lr * weight_decay before the step) and
/// `l2`, an L2 penalty whose gradient l2 * param is added to the gradient
/// (PyTorch's Adam / SGD `weight_decay`; Keras' `l2(l2 / 2)` regularizer).
struct OptimizerSpec {
  enum class Kind { Adam, Sgd } kind = Kind::Adam;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-7, momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0, l2 = 0.0;
};

/// What an optimizer lowers to for one parameter: Update op `op` with
/// `attrs`, reading (param, grad, slots...). A slot is the State
/// "<param>/<suffix>" that starts at zero; an empty suffix feeds a zero Fill
/// (plain SGD keeps no velocity).
struct UpdateForm {
  OpKind op;
  Attrs attrs;
  std::vector<std::string> slots;
};
/// Without weight decay: update_form(spec, false) leaves decay and l2 at 0
/// (for biases, batchnorm's scale and offset).
UpdateForm update_form(const OptimizerSpec& spec, bool decayed = true);

/// Number of slot operands of an update op (inputs 2..): Adam 2 (m, v), SGD 1
/// (velocity), MovingAverage 0; 0 for an op that is no update. Their new
/// values are written after the step.
int slot_count(OpKind update);
/// True when `tensor` ("dense/kernel/adam_m") is an optimizer slot of any optimizer.
bool is_optimizer_slot(std::string_view tensor);

/// True when `op` is an update that takes per-step scalars: the optimizers
/// (their learning rate may change from step to step).
bool takes_step_scalar(OpKind update);
/// How many per-step scalars update `op` with `a` takes: 0, 1 (the rate), or
/// 2 (the rate, then the decoupled decay's keep factor).
int step_scalar_count(OpKind update, const Attrs& a);
/// The first scalar at `step` (1-based), with the learning rate lr * lr_scale
/// (a schedule's factor): Adam's lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t);
/// SGD's lr. Computed in double, rounded once to float.
float step_scalar(OpKind update, const Attrs& a, std::uint64_t step, double lr_scale = 1.0);
/// The second: 1 - lr * lr_scale * decay, what a decoupled weight decay keeps
/// of the parameter (PyTorch AdamW's param.mul_(1 - lr * weight_decay)).
float decay_keep(const Attrs& a, double lr_scale = 1.0);
/// Both, as update_element takes them (the second 1 without decay).
std::array<float, 2> step_scalars(OpKind update, const Attrs& a, std::uint64_t step, double lr_scale = 1.0);

/// The new values of one element of an update.
template <class V>
struct UpdateValues {
  V param{};
  std::array<V, 2> slots{};  ///< the first slot_count(op) are meaningful
};

/// One element of update `op`: p the parameter (or state), g its gradient
/// (MovingAverage: the new value), s the slots' current values, scalar the
/// step scalar (when the op takes one) and keep the decay's (when a.decay is
/// not 0). `Arith` provides V c(float) and V add/sub/mul/div(V, V), V sqrt(V).
/// Weight decay first, as PyTorch does: the L2 term joins the gradient
/// (g + l2 p, p before the step), the decoupled decay scales the parameter
/// (p keep) before the optimizer's step is taken from it.
template <class Arith, class V>
UpdateValues<V> update_element(Arith& ar, OpKind op, const Attrs& a, V scalar, V keep, V p, V g, std::array<V, 2> s) {
  UpdateValues<V> out;
  if (takes_step_scalar(op)) {
    if (a.l2 != 0.0) g = ar.add(g, ar.mul(ar.c(static_cast<float>(a.l2)), p));
    if (a.decay != 0.0) p = ar.mul(p, keep);
  }
  switch (sub_op<UpdateOp>(op)) {
    case UpdateOp::AdamUpdate: {
      // m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr_t m / (sqrt(v) + eps)
      const auto b1 = static_cast<float>(a.beta1), b2 = static_cast<float>(a.beta2), eps = static_cast<float>(a.eps);
      const V m = ar.add(ar.mul(ar.c(b1), s[0]), ar.mul(ar.c(1.0f - b1), g));
      const V v = ar.add(ar.mul(ar.c(b2), s[1]), ar.mul(ar.mul(ar.c(1.0f - b2), g), g));
      out.param = ar.sub(p, ar.div(ar.mul(scalar, m), ar.add(ar.sqrt(v), ar.c(eps))));
      out.slots = {m, v};
      return out;
    }
    case UpdateOp::SgdUpdate: {
      // v = momentum v - lr g;  p += v  (nesterov: p += momentum v - lr g).
      // Momentum 0 without nesterov: p -= lr g, and v stays as it was.
      // The learning rate is the step scalar (float(lr * lr_scale)).
      const V lr = scalar;
      const auto mu = static_cast<float>(a.momentum);
      if (a.momentum == 0.0 && !a.nesterov) {
        out.param = ar.sub(p, ar.mul(lr, g));
        out.slots[0] = s[0];
        return out;
      }
      const V v = ar.sub(ar.mul(ar.c(mu), s[0]), ar.mul(lr, g));
      const V delta = a.nesterov ? ar.sub(ar.mul(ar.c(mu), v), ar.mul(lr, g)) : v;
      out.param = ar.add(p, delta);
      out.slots[0] = v;
      return out;
    }
    case UpdateOp::MovingAverage: {
      // state = momentum state + (1 - momentum) value
      const auto mu = static_cast<float>(a.momentum);
      out.param = ar.add(ar.mul(ar.c(mu), p), ar.mul(ar.c(1.0f - mu), g));
      return out;
    }
  }
  return out;
}

/// Float arithmetic for update_element (the reference interpreter's).
struct FloatArith {
  float c(float v) const { return v; }
  float add(float a, float b) const { return a + b; }
  float sub(float a, float b) const { return a - b; }
  float mul(float a, float b) const { return a * b; }
  float div(float a, float b) const { return a / b; }
  float sqrt(float a) const { return std::sqrt(a); }
};

}  // namespace tl::ir
