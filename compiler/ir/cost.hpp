// Floating-point operations (FLOPs) of a graph, counted op by op from the
// node shapes, for throughput figures (achieved GFLOP/s in bench/run.sh,
// `tlc check --emit=cost`).
//
// Convention: count what any implementation of the op's definition (ops.def)
// must compute, not what one backend does after fusing ops:
//   * a multiply-add counts 2 (conv2d and its gradients 2*B*OH*OW*O*KH*KW*I,
//     padded cells included; matmul 2*M*N*K);
//   * every other arithmetic operation, comparison (max, relu, argmax, clip)
//     and elementary function (exp, log, sqrt, division) counts 1;
//   * reductions count 1 per input element (a sum of n numbers ~ n adds);
//   * data movement (reshape, broadcast, fills, leaves) and integer work
//     (Philox random bits: a dropout mask is a select, argmax indices, label
//     comparisons) count 0;
//   * scalars computed once per step (Adam's bias-corrected learning rate)
//     are left out; per-element work of updates is counted for every element.
// The count of every op, with its reasoning, is in cost.cpp (elementwise ops:
// the flops column of ops.def); the
// big ones: conv2d, conv2d_grad_input, conv2d_grad_filter 2*B*OH*OW*O*KH*KW*I,
// matmul 2*M*N*K, max pooling 1 per window cell, softmax 5 per element,
// adam_update 12 per element.
#pragma once

#include <cstdint>

#include "compiler/ir/graph.hpp"

namespace tl::ir {

/// FLOPs of node `id` of `graph` (shapes as built; the batch is part of them).
std::int64_t flops(const Graph& graph, NodeId id);

/// FLOPs of every node of `graph`: one run of the step it describes.
std::int64_t flops(const Graph& graph);

}  // namespace tl::ir
