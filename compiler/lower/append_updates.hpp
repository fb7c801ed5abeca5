// Lowers an optimizer to graph ops: one update node per differentiated
// parameter, with its slot States, registered as graph effects. Runs after
// autodiff::differentiate on the train step's graph. What each optimizer
// lowers to is compiler/ir/optimizer.hpp's update_form.
#pragma once

#include "compiler/autodiff/autodiff.hpp"
#include "compiler/ir/graph.hpp"
#include "compiler/ir/optimizer.hpp"

namespace tl::lower {

/// Appends one update per (param, grad) pair of `grads` and registers it with
/// graph.add_effect: update_form(opt)'s op and attributes reading (param,
/// grad, slots), each slot the State "<param>/<suffix>" of the param's shape
/// (an existing State of that name is reused), or a zero Fill for an empty
/// suffix. Slot States start at zero (the executors' rule for a State
/// without a stored value).
/// Pre: every param is a Param node; frozen params are simply absent from
/// `grads`, so they get no state and no update.
void append_updates(ir::Graph& graph, const autodiff::Gradients& grads, const ir::OptimizerSpec& opt);

/// Whether weight decay (either form) applies to persistent tensor `tensor`
/// ("<layer>/<param>"): to the kernels of dense and convolution layers, not
/// to biases or batchnorm's scale and offset (the common practice, and what
/// docs/language.md promises).
bool decays(const std::string& tensor);

}  // namespace tl::lower
