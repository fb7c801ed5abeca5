// The codegen's public face (no LLVM types): a step graph in, a JIT-compiled
// function out. Compiled steps are cached for the whole process, keyed by the
// graph's structure (graph_key.hpp), so every graph shape is compiled once:
// a second training run, or the last partial batch of every epoch, reuses it.
#pragma once

#include <memory>
#include <string>

#include "compiler/codegen/step_abi.hpp"
#include "compiler/codegen/step_plan.hpp"
#include "compiler/ir/graph.hpp"

namespace tl::codegen {

struct CompiledStep {
  StepPlan plan;
  StepFn fn = nullptr;
  double seconds = 0;  ///< planning + IR + O3 + machine code
};

/// The compiled step of `graph`, compiled now or taken from the cache: a
/// batch-generic step compiled for a batch at least as large serves it (run
/// it with StepArgs::batch = batch_of(graph)). Thread-safe.
/// Pre: ir::verify(graph) passes.
/// `options` (how the feeds arrive) are part of the key.
std::shared_ptr<const CompiledStep> compile_step(const ir::Graph& graph, const StepOptions& options = {});

/// The step compile_step would return for `graph` if it is already compiled
/// (without counting a reuse), else null. Thread-safe.
std::shared_ptr<const CompiledStep> find_step(const ir::Graph& graph, const StepOptions& options = {});

/// `tlc --emit=llvm`: the optimised LLVM IR of `graph`'s step (not cached).
std::string optimised_ir(const ir::Graph& graph, const StepOptions& options = {});

struct CompileStats {
  int compiled = 0;    ///< distinct graphs compiled
  int reused = 0;      ///< compile_step calls answered from the cache
  double seconds = 0;  ///< total compile time
};
CompileStats compile_stats();

}  // namespace tl::codegen
