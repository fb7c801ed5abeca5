// Helpers for the JIT-vs-reference tests: run one graph on both executors,
// each from its own copy of the variables, and compare every output and
// every committed variable after every step.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/ir/graph.hpp"
#include "runtime/exec/executor.hpp"
#include "runtime/tensor.hpp"

namespace tl::test {

/// How close the JIT must be: |jit - ref| <= abs + rel |ref| per element;
/// `exact` demands identical bits (up to the sign of zero).
struct Tolerance {
  double rel = 1e-5, abs = 1e-6;
  bool exact = false;
};

/// CHECKs shapes and elements of `jit` against `ref`; `what` names them in failures.
void check_close(const Tensor& jit, const Tensor& ref, Tolerance tol, const std::string& what);

/// Runs `graph` for `steps` steps (ctx.step = 1, 2, ...) on the reference and
/// on a JitExecutor with `threads` threads that splits even tiny graphs;
/// compares outputs and all variables after each step.
void check_jit_matches(const ir::Graph& graph, const exec::Variables& vars, const exec::Feeds& feeds, int threads,
                       Tolerance tol = {}, int steps = 1, std::uint64_t seed = 7);

}  // namespace tl::test
