// Threads for the JIT executor: a pool of persistent workers that run one
// compiled step together (SPMD: every thread calls the same function with
// its own id), and the barrier the generated code meets at between kernels
// that exchange data. Both spin briefly, then sleep on a futex (C++20 atomic
// wait), so idle workers cost nothing when the cores are busy elsewhere.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace tl::exec {

class SpinBarrier {
 public:
  /// Sets the number of threads that must arrive; only between uses.
  void reset(int threads) { threads_ = threads; }
  /// Blocks until `threads` threads have called it.
  void arrive_and_wait();
  /// The C entry point the generated code calls (StepArgs::barrier).
  static void call(void* self) { static_cast<SpinBarrier*>(self)->arrive_and_wait(); }

 private:
  alignas(64) std::atomic<int> arrived_{0};
  alignas(64) std::atomic<std::uint32_t> phase_{0};
  int threads_ = 1;
};

class WorkerPool {
 public:
  /// Starts `threads - 1` workers; the caller of run() is thread 0.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /// Calls job(context, tid) for every tid in [0, size()), tid 0 on the
  /// calling thread, and returns when all have finished.
  void run(void (*job)(void* context, int tid), void* context);

 private:
  void work(int tid);

  std::vector<std::thread> workers_;
  void (*job_)(void*, int) = nullptr;
  void* context_ = nullptr;
  bool stopping_ = false;
  alignas(64) std::atomic<std::uint32_t> generation_{0};
  alignas(64) std::atomic<int> pending_{0};
};

}  // namespace tl::exec
