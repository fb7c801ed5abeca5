// The executor interface: something that runs a step graph on persistent
// variables and per-step feeds. Two implementations share the graph IR: the
// reference interpreter (runtime/exec/reference.hpp, the oracle) and the JIT.
#pragma once

#include <cstdint>
#include <memory>
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

/// Images given as a dataset's bytes (NHWC): element i reads as
/// float(data[i]) * scale + offset (a multiply, then an add, never fused), the
/// same float `data::gather` would produce.
struct ImageBytes {
  const std::uint8_t* data = nullptr;
  std::vector<std::size_t> shape;  ///< (B, H, W, C)
  float scale = 1.0f;
  float offset = 0.0f;
};

/// Per-step inputs: the Input nodes with role Images / Labels read these.
/// Images come either as floats (`images`) or as bytes (`image_bytes`, which
/// wins when both are set): the JIT then scales the pixels inside the first
/// kernel that reads them, so a batch is gathered as bytes, never as floats.
struct Feeds {
  const Tensor* images = nullptr;
  const Tensor* labels = nullptr;
  const ImageBytes* image_bytes = nullptr;
};

/// The processes of a data-parallel step as its collective ops (process_mean,
/// compiler/ir/ops.def) see them. Every process runs them in the graph's
/// order (runtime/train/data_parallel.cpp).
class StepCollectives {
 public:
  virtual ~StepCollectives() = default;
  /// out = sum over processes p of rows_p * in_p / sum of rows_p, `n` floats
  /// (`in` and `out` may be equal). Must not throw: it runs inside a compiled
  /// step (record a failure and report it after the step).
  virtual void process_mean(const float* in, float* out, std::size_t n) noexcept = 0;
};

/// One process: process_mean copies its input.
void process_mean(StepCollectives* collectives, const float* in, float* out, std::size_t n) noexcept;

struct StepContext {
  std::uint64_t seed = 0;
  std::uint64_t step = 1;  ///< 1-based update count; also the dropout counter
  double lr_scale = 1.0;   ///< the learning-rate schedule's factor for this step
  /// Rows of the global batch before this one: a data-parallel process's
  /// shard draws the dropout masks of its rows of the whole batch, as one
  /// process running the whole batch would.
  std::uint64_t row_offset = 0;
  /// The processes of a data-parallel step; null: one process.
  StepCollectives* collectives = nullptr;
};

class Executor {
 public:
  virtual ~Executor() = default;
  /// Runs the graph and returns its named outputs; then commits each effect
  /// (update ops) to `vars`. Reads within the step see the old values. A State
  /// absent from `vars` starts as zeros; an absent Param or a missing feed
  /// throws std::runtime_error naming it.
  virtual std::unordered_map<std::string, Tensor> run(const ir::Graph& graph, Variables& vars, const Feeds& feeds,
                                                      const StepContext& ctx) = 0;
  /// Seconds spent compiling steps so far (the JIT's; 0 for an interpreter),
  /// so that training time can be reported without it.
  virtual double compile_seconds() const { return 0.0; }
};

/// "reference" or "jit" (throws std::invalid_argument for others, or when
/// the backend is not built in). `threads` is the number of worker threads.
std::unique_ptr<Executor> make_executor(const std::string& backend, int threads);

}  // namespace tl::exec
