// Worker pool and barrier (see jit_threads.hpp).
#include "runtime/exec/jit_threads.hpp"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tl::exec {

namespace {

// A waiting thread spins, then yields, then sleeps on the futex. Spinning
// covers the gap between two training steps (the host gathers the next
// batch), so a worker is awake when the next step starts (waking one from
// the futex costs tens of microseconds in a VM); yielding keeps a thread
// that shares its core with the one it waits for from starving it.
constexpr auto kSpinTime = std::chrono::microseconds(50);
constexpr auto kYieldTime = std::chrono::microseconds(300);

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// Waits until `value` differs from `old`: spin, then futex wait.
template <class T>
void wait_change(const std::atomic<T>& value, T old) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    if (value.load(std::memory_order_acquire) != old) return;
    if (i % 64 != 63) {
      relax();
      continue;
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    if (waited > kYieldTime) break;
    if (waited > kSpinTime) std::this_thread::yield();
  }
  while (value.load(std::memory_order_acquire) == old) value.wait(old, std::memory_order_acquire);
}

}  // namespace

void SpinBarrier::arrive_and_wait() {
  if (threads_ <= 1) return;
  const std::uint32_t phase = phase_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == threads_) {
    arrived_.store(0, std::memory_order_relaxed);
    phase_.store(phase + 1, std::memory_order_release);
    phase_.notify_all();
    return;
  }
  wait_change(phase_, phase);
}

WorkerPool::WorkerPool(int threads) {
  for (int tid = 1; tid < threads; ++tid) workers_.emplace_back([this, tid] { work(tid); });
}

WorkerPool::~WorkerPool() {
  stopping_ = true;
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void WorkerPool::run(void (*job)(void*, int), void* context) {
  if (workers_.empty()) {
    job(context, 0);
    return;
  }
  job_ = job;
  context_ = context;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  job(context, 0);
  for (int left = pending_.load(std::memory_order_acquire); left != 0; left = pending_.load(std::memory_order_acquire))
    wait_change(pending_, left);
}

void WorkerPool::work(int tid) {
  std::uint32_t seen = 0;
  for (;;) {
    wait_change(generation_, seen);
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_) return;
    job_(context_, tid);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

}  // namespace tl::exec
