// Reverse-mode automatic differentiation as a graph-to-graph transform: the
// backward nodes are appended to the forward graph, so one graph computes the
// loss, the gradients and (after lower/optimizer) the updates of a train step.
#pragma once

#include <utility>
#include <vector>

#include "compiler/ir/graph.hpp"

namespace tl::autodiff {

/// The gradient node of each differentiated parameter, in `wrt` order.
struct Gradients {
  std::vector<std::pair<ir::NodeId /*param*/, ir::NodeId /*grad*/>> params;
};

/// Appends the backward pass of scalar `loss` to `graph` and returns the
/// gradient of each `wrt` node (usually Params).
///
/// Pre:  `graph` verifies; `loss` has shape (); every `wrt` id is in the graph.
/// Post: the seed is Fill(1.0) of shape (). Only nodes on a path from some
///       `wrt` node to `loss` get adjoints, so nothing is computed for inputs,
///       for frozen params (absent from `wrt`) or below the lowest `wrt` node.
///       Multiple contributions to one adjoint are summed with Add. Backward
///       nodes carry the origin of the forward node they come from and are
///       named "grad/<name of the forward value>". A `wrt` node the loss does
///       not depend on is left out of the result.
/// Throws std::logic_error when the path crosses an op without an adjoint
/// rule (a *Grad op or an update).
Gradients differentiate(ir::Graph& graph, ir::NodeId loss, const std::vector<ir::NodeId>& wrt);

}  // namespace tl::autodiff
