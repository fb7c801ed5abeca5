// parallel_for: runs fn(i) for i in [0, n) on up to `threads` threads (0: the
// machine's cores), taking indices in order from a shared counter. fn must
// not throw (record failures per index instead). Used to decode and probe
// image files, where each index is independent work.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace tl::data {

template <class Fn>
void parallel_for(std::size_t n, int threads, Fn&& fn) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t workers = std::min<std::size_t>(n, threads > 0 ? static_cast<std::size_t>(threads) : cores);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

}  // namespace tl::data
