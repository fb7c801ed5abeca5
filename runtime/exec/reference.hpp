// The reference interpreter: runs a graph op by op with plain loops. It is the
// oracle the JIT is tested against, so it favours obvious correctness.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/ir/graph.hpp"
#include "runtime/tensor.hpp"

namespace tl::exec {

/// Persistent Param and State tensors, by the node's persistent name.
struct Variables {
  std::unordered_map<std::string, Tensor> tensors;
};

/// Per-step inputs: the Input nodes with role Images / Labels read these.
struct Feeds {
  const Tensor* images = nullptr;
  const Tensor* labels = nullptr;
};

struct StepContext {
  std::uint64_t seed = 0;
  std::uint64_t step = 1;  ///< 1-based update count; also the dropout counter
};

/// Not thread-safe: it owns per-node buffers, so use one executor per thread.
class ReferenceExecutor {
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
                                              const StepContext& ctx);

 private:
  // One result buffer per node, and the new optimizer slots of each update
  // node, kept across runs: a long-lived executor reuses their storage, so a
  // training loop allocates nothing once warm (no page faults per step).
  std::vector<Tensor> buffers_;
  std::vector<std::vector<Tensor>> slots_;
};

}  // namespace tl::exec
