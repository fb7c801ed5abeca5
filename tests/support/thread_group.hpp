// Processes of a data-parallel run as threads of one: allgather meets every
// thread, then each copies the concatenation in rank order. Used by the
// data-parallel tests of tl_tests and tl_api_tests (no MPI needed). C++17,
// no tl headers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace tl::test {

class ThreadGroup {
 public:
  explicit ThreadGroup(int n) : n_(n), slots_(static_cast<std::size_t>(n)) {}
  int size() const { return n_; }
  /// Thread `rank`'s part of a collective: every thread's bytes, in rank order.
  std::vector<char> allgather(int rank, const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) {
    std::unique_lock<std::mutex> lock(m_);
    const std::uint64_t round = round_;
    slots_[static_cast<std::size_t>(rank)].assign(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
    if (++arrived_ == n_) {
      arrived_ = 0;
      result_.clear();
      lengths_.clear();
      for (const auto& s : slots_) {
        result_.insert(result_.end(), s.begin(), s.end());
        lengths_.push_back(s.size());
      }
      ++round_;
      cv_.notify_all();
    } else {
      // The next round cannot complete before this thread joins it, so the
      // result is still this round's when it wakes.
      cv_.wait(lock, [&] { return round_ != round; });
    }
    lengths = lengths_;
    return result_;
  }

 private:
  int n_, arrived_ = 0;
  std::uint64_t round_ = 0;
  std::vector<std::vector<char>> slots_;
  std::vector<char> result_;
  std::vector<std::size_t> lengths_;
  std::mutex m_;
  std::condition_variable cv_;
};

}  // namespace tl::test
