// The JIT executor: runs each step graph as one LLVM-compiled function
// (compiler/codegen/compile.hpp), on `threads` threads that split the batch.
// Results match the reference interpreter (the oracle) within float rounding
// of the thread split; with the same thread count a run is bit-for-bit
// repeatable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/exec/executor.hpp"

namespace tl::exec {

/// Not thread-safe: it owns the arena the compiled steps run in, so use one
/// executor per thread. Compiled code is shared by all executors of the process.
class JitExecutor : public Executor {
 public:
  /// Below this many multiply-adds a step runs on the calling thread: waking
  /// the workers would cost more than it saves (e.g. predicting one image).
  static constexpr std::int64_t kMinParallelWork = 400'000;

  /// `threads` workers (at least 1) split every step of at least
  /// `min_parallel_work` multiply-adds (tests pass 0 to split everything).
  explicit JitExecutor(int threads, std::int64_t min_parallel_work = kMinParallelWork);
  ~JitExecutor() override;

  /// The reference's contract (reference.hpp): outputs by name, then the
  /// effects committed; absent States read as zeros; an absent Param, a missing
  /// feed, a wrong shape or a label outside the classes throws
  /// std::runtime_error naming it. The first run of a graph shape compiles it.
  std::unordered_map<std::string, Tensor> run(const ir::Graph& graph, Variables& vars, const Feeds& feeds,
                                              const StepContext& ctx) override;
  /// Every step compiled in this process so far (the compile cache is shared).
  double compile_seconds() const override;

  int threads() const;

  /// Profiling: when on, every run adds each pass's cycles (on thread 0) to
  /// a per-graph tally that profile_report() prints, slowest first.
  void set_profiling(bool on);
  std::string profile_report(const ir::Graph& graph) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tl::exec
