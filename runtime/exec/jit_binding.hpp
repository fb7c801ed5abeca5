// Binding a compiled step's leaves (Inputs, Params, States) to the tensors of
// one run, with the reference executor's checks and error messages. Private
// to the JIT executor (jit.cpp).
#pragma once

#include <vector>

#include "compiler/codegen/step_plan.hpp"
#include "runtime/exec/executor.hpp"

namespace tl::exec {

struct Binding {
  std::vector<float*> tensors;             ///< leaf slot -> data (StepArgs::tensors; the bytes of
                                           ///< byte-fed images at plan.byte_leaf)
  std::vector<std::vector<float>> zeros;   ///< leaf slot -> zeros for an absent State

  /// Points every leaf slot at its feed or variable. A State absent from
  /// `vars` reads as zeros; if the step updates it in place it is created in
  /// `vars` (as the reference's commit would). Throws std::runtime_error for a
  /// missing feed or Param, or a shape that differs from the graph's. The
  /// plan's byte leaf (if any) is bound to feeds.image_bytes, which must be set.
  void bind(const ir::Graph& graph, const codegen::StepPlan& plan, Variables& vars, const Feeds& feeds);
};

/// Checks, before anything runs, every label a loss or metric reads from a
/// leaf: a class index in [0, M). Throws std::runtime_error as the reference does.
/// The loss kernels check only labels the step computes (emit_loss.cpp).
void check_labels(const ir::Graph& graph, const codegen::StepPlan& plan, const Binding& binding);

}  // namespace tl::exec
