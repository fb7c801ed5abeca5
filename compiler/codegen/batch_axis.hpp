// Which nodes of a step graph carry the batch on their leading axis. A step
// compiled with that knowledge takes the batch size at run time
// (StepArgs::batch), so the last partial batch of an epoch, or of an
// evaluation, runs the full batch's code instead of compiling its own.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir/graph.hpp"

namespace tl::codegen {

/// Per node: its leading axis is the batch (the leading extent of the Input
/// nodes). Empty when the graph has no Input, or when the batch cannot be told
/// apart from other extents: the batch size on any axis but a batched node's
/// first, in a node that may carry the batch (one computed from the inputs
/// without reducing the batch away; weights, slots and gradients of weights
/// are not). Then the graph is compiled for its exact shapes.
std::vector<bool> batched_nodes(const ir::Graph& graph);

/// The leading extent of the graph's Input nodes, or 0 when it has none.
std::int64_t batch_of(const ir::Graph& graph);

}  // namespace tl::codegen
