// Test helpers for graph-level tests: deterministic random tensors, a small
// graph builder that keeps parameter values next to the graph, a scalar
// "weighted sum" loss, and the central finite-difference gradient check.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/ir/graph.hpp"
#include "runtime/exec/reference.hpp"
#include "runtime/tensor.hpp"

namespace tl::test {

/// Uniform values in [lo, hi) from Philox(stream), reproducible everywhere.
Tensor random_tensor(const ir::Shape& shape, std::uint64_t stream, float lo = -1.0f, float hi = 1.0f);
/// Random magnitudes in [0.2, 1] with random signs: no element near a relu kink.
Tensor away_from_zero(const ir::Shape& shape, std::uint64_t stream);
/// A random permutation of 0.05 * k (k = 0..n-1) minus an offset: every pair of
/// elements differs by at least 0.05, so max pooling has no near-ties.
Tensor distinct_values(const ir::Shape& shape, std::uint64_t stream);
/// A tensor with the given shape and row-major values.
Tensor make_tensor(const ir::Shape& shape, const std::vector<float>& values);

/// A graph under construction together with the values of its Params.
struct GraphCase {
  ir::Graph graph;
  exec::Variables vars;
  Tensor labels;
  exec::ReferenceExecutor executor;  // long-lived, so runs exercise buffer reuse

  ir::NodeId param(const std::string& name, Tensor value);
  ir::NodeId labels_input(Tensor value);
  ir::NodeId add(ir::OpKind op, std::vector<ir::NodeId> inputs, ir::Attrs attrs = {}, ir::Shape shape = {});
  /// Scalar loss sum(y * w) for a fixed random w (a Param "loss_weights" that
  /// is never differentiated), so every element of y gets a distinct adjoint.
  ir::NodeId weighted_sum(ir::NodeId y);
  /// Runs the graph once (labels fed when present).
  std::unordered_map<std::string, Tensor> run(const exec::StepContext& ctx = {});
};

/// Differentiates `loss` w.r.t. `wrt` (all Params), then compares every
/// gradient element with (f(x + h) - f(x - h)) / 2h, requiring
/// |analytic - numeric| <= 2e-3 + 1e-2 |numeric|. Also requires the largest
/// numeric gradient to exceed 0.05, so a test can't pass vacuously.
void check_gradients(GraphCase& c, ir::NodeId loss, const std::vector<ir::NodeId>& wrt, double h = 1e-2,
                     const exec::StepContext& ctx = {});

}  // namespace tl::test
