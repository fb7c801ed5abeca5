// The calling convention between the JIT executor (host) and a compiled step.
// Every thread calls `StepFn(args, tid)` with the same arguments; the generated
// code splits the work by `tid` and meets at `barrier` between kernels that
// exchange data across threads. Every field is 8 bytes wide so the generated
// code addresses them as slots of an i64 array (StepSlot).
#pragma once

#include <cstdint>

namespace tl::codegen {

struct StepArgs {
  float* const* tensors = nullptr;   ///< one pointer per leaf slot (Input, Param, State)
  char* arena = nullptr;             ///< intermediates, at the offsets of the buffer plan
  char* scratch = nullptr;           ///< per-thread partial sums: thread t at scratch + t * scratch_stride
  std::int64_t scratch_stride = 0;   ///< bytes per thread, a multiple of 64
  std::int64_t threads = 1;          ///< number of threads running the step
  void (*barrier)(void*) = nullptr;  ///< blocks until every thread has arrived
  void* barrier_state = nullptr;
  std::uint64_t seed = 0;            ///< StepContext::seed (dropout key)
  std::uint64_t step = 0;            ///< StepContext::step (dropout counter)
  const float* scalars = nullptr;    ///< per-run floats, e.g. Adam's lr_t (StepPlan::scalar_of)
  std::int32_t* status = nullptr;    ///< per thread: StatusWords ints (error reporting)
  std::uint64_t* profile = nullptr;  ///< when set, thread 0 adds each pass's cycles at [pass]
  std::int64_t batch = 0;            ///< the batch size of this run (<= the plan's when batch-generic)
  std::int64_t row_offset = 0;       ///< StepContext::row_offset (dropout draws of a data-parallel shard)
  /// A process_mean node's vector of `n` floats combined over the processes
  /// (`in` to `out`), called by thread 0 between barriers; never throws.
  void (*process_mean)(void* state, const float* in, float* out, std::int64_t n) = nullptr;
  void* process_state = nullptr;
};

/// Slot index of each StepArgs field, as the generated code reads them.
enum class StepSlot : int {
  Tensors, Arena, Scratch, ScratchStride, Threads, Barrier, BarrierState, Seed, Step, Scalars, Status, Profile, Batch,
  RowOffset, ProcessMean, ProcessState
};

/// A thread's status words: [0] error code (0 none, 1 bad label), [1] batch
/// row, [2] the offending value's float bits, [3] the number of classes.
inline constexpr int kStatusWords = 4;

using StepFn = void (*)(const StepArgs*, std::int32_t tid);

}  // namespace tl::codegen
