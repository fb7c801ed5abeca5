// The reference interpreter: runs a graph op by op with plain loops. It is the
// oracle the JIT is tested against, so it favours obvious correctness.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/ir/graph.hpp"
#include "runtime/exec/executor.hpp"
#include "runtime/tensor.hpp"

namespace tl::exec {

/// Not thread-safe: it owns per-node buffers, so use one executor per thread.
class ReferenceExecutor : public Executor {
 public:
  /// Runs every node in id order and returns the tensors of graph.outputs() by
  /// name. Then commits each effect: the update's new value is stored in `vars`
  /// under the name of its first input, and the new optimizer slots (Adam m and
  /// v, SGD velocity) under theirs. All reads within the step see the old
  /// values. A State absent from `vars` starts as zeros (optimizer slots); an
  /// absent Param, a missing feed or a fed/stored tensor whose shape differs
  /// from its node's throws std::runtime_error naming it.
  /// Pre: ir::verify(graph) passes (kernels trust the graph's shapes).
  std::unordered_map<std::string, Tensor> run(const ir::Graph& graph, Variables& vars, const Feeds& feeds,
                                              const StepContext& ctx) override;

 private:
  // One result buffer per node, and the new optimizer slots of each update
  // node, kept across runs: a long-lived executor reuses their storage, so a
  // training loop allocates nothing once warm (no page faults per step).
  std::vector<Tensor> buffers_;
  std::vector<std::vector<Tensor>> slots_;
};

}  // namespace tl::exec
