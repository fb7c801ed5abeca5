// Per-pass cycle counts of a compiled step (StepArgs::profile), tallied over
// runs: the JIT executor keeps one per step it ran while profiling
// (JitExecutor::set_profiling, or TL_JIT_PROFILE=1 for any run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tl::exec {

struct PassProfile {
  std::vector<std::string> labels;    ///< per pass: "conv2d+bias_add+maxpool2d", "matmul combine"
  std::vector<std::uint64_t> cycles;  ///< per pass, summed over runs (thread 0's time stamp counter)
  std::uint64_t runs = 0;

  /// Passes slowest first: kilocycles per run and share of the step.
  std::string report() const;
};

}  // namespace tl::exec
