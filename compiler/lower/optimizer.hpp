// Lowers an optimizer to graph ops: one update node per differentiated
// parameter, with its slot States, registered as graph effects. Runs after
// autodiff::differentiate on the train step's graph.
#pragma once

#include "compiler/autodiff/autodiff.hpp"
#include "compiler/ir/graph.hpp"

namespace tl::lower {

/// Keras (TF2 optimizer_v2) defaults.
struct OptimizerSpec {
  enum class Kind { Adam, Sgd } kind = Kind::Adam;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-7, momentum = 0.0;
  bool nesterov = false;
};

/// Appends one update per (param, grad) pair of `grads` and registers it with
/// graph.add_effect.
///   Adam: States "<param>/adam_m" and "<param>/adam_v"; AdamUpdate(p, g, m, v).
///   SGD with momentum (or nesterov): State "<param>/momentum"; SgdUpdate(p, g, v).
///   Plain SGD keeps no state: the velocity operand is a zero Fill.
/// Slot States get the param's shape and start at zero (the executors' rule for
/// a State without a stored value). An existing State of the same name is reused.
/// Pre: every param is a Param node; frozen params are simply absent from `grads`,
/// so they get no state and no update.
void append_updates(ir::Graph& graph, const autodiff::Gradients& grads, const OptimizerSpec& opt);

}  // namespace tl::lower
