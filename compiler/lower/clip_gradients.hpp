// Gradient clipping by global norm (Keras' global_clipnorm, PyTorch's
// clip_grad_norm_), lowered to ops the executors already have, between the
// backward pass and the updates:
//   norm2  = sum over every gradient of sum(g^2)    (Square, ChannelSum)
//   factor = min(1, C / sqrt(norm2 + 1e-12))        (Rsqrt, Scale, Clip)
//   g'     = g * factor                             (ChannelMul)
// Every update then waits for every gradient, which the step plan orders
// like any other dependency.
#pragma once

#include "compiler/autodiff/autodiff.hpp"
#include "compiler/ir/graph.hpp"

namespace tl::lower {

/// The gradients of `grads` scaled so their global L2 norm is at most `clip`
/// (> 0); the nodes are appended to `graph` with `origin`.
autodiff::Gradients clip_by_global_norm(ir::Graph& graph, const autodiff::Gradients& grads, double clip,
                                        ir::Origin origin);

}  // namespace tl::lower
