// FolderImages: an image folder's images decoded while they are used, with
// a bounded pool of decode threads and a memory cap.
//
// - read(ids) returns a batch's images. Those not ready are put at the front
//   of the decode queue, and the calling thread decodes beside the pool
//   until every one is done, so a batch nobody announced still decodes on
//   every core.
// - prefetch(ids) queues the next batches; the pool decodes them while the
//   current batch trains.
// - Decoded images are kept while the cache has room (first decoded, first
//   kept; nothing is evicted): a folder that fits is decoded once, in its
//   first epoch. An image that does not fit is freed as soon as read() has
//   copied it, so memory stays within the cache plus the images queued
//   ahead (the pipeline announces at most a few batches).
// - A file that fails to decode fails every read of it: read() throws the
//   DataError naming it, or, when the folder skips bad files, reports it in
//   `ok` and records it once in skipped().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/data/image_folder.hpp"
#include "runtime/data/lazy_images.hpp"

namespace tl::data {

/// Default memory for decoded images: a quarter of the machine's memory,
/// capped at 8 GiB.
std::size_t default_image_cache_bytes();

/// A dataset of `listing`'s images (labels, class names and files from the
/// listing), its store a FolderImages: nothing is decoded until used.
Dataset folder_dataset(FolderListing listing, bool skip_bad, std::size_t cache_bytes, int threads = 0);

class FolderImages final : public LazyImages {
 public:
  struct Stats {
    std::uint64_t decoded = 0;      ///< images decoded (an image evicted and read again counts twice)
    std::uint64_t cache_hits = 0;   ///< images read() found decoded (cached or prefetched)
    std::size_t cached_images = 0;  ///< images held in the cache now
    std::size_t cached_bytes = 0;
  };

  /// `threads`: decode threads (0: the machine's cores).
  FolderImages(FolderListing listing, bool skip_bad, std::size_t cache_bytes, int threads = 0);
  ~FolderImages() override;
  FolderImages(const FolderImages&) = delete;
  FolderImages& operator=(const FolderImages&) = delete;

  std::size_t image_bytes() const override { return bytes_; }
  void read(const std::uint32_t* ids, std::size_t n, std::uint8_t* dst, bool* ok) override;
  void prefetch(const std::uint32_t* ids, std::size_t n) override;
  std::vector<std::pair<std::string, std::string>> skipped() const override;
  Stats stats() const;

 private:
  enum class State : std::uint8_t { Idle, Queued, Decoding, Ready, Failed };
  struct Slot {
    State state = State::Idle;
    bool cached = false;
    std::unique_ptr<std::uint8_t[]> pixels;
  };

  void start_pool();  // with mu_ held
  void worker();
  /// Decodes queued images (with `lock` held) until `done()`, waiting on
  /// `wake` while the queue is empty: a worker until stopped (woken by new
  /// work), a reader until its batch is settled (woken by finished decodes).
  template <class Done>
  void work_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, Done&& done);
  /// Decodes image `id` (Queued) outside the lock; call with `lock` held.
  void decode(std::unique_lock<std::mutex>& lock, std::uint32_t id);

  const FolderListing listing_;
  const bool skip_bad_;
  const std::size_t bytes_;
  const std::size_t budget_;
  const int threads_;

  mutable std::mutex mu_;
  std::condition_variable queued_, finished_;
  std::vector<Slot> slots_;
  std::map<std::uint32_t, std::exception_ptr> errors_;  // Failed slots: what decoding threw
  std::vector<std::pair<std::string, std::string>> skipped_;
  std::vector<bool> reported_;       // per image: already in skipped_
  std::deque<std::uint32_t> queue_;  // entries whose slot is no longer Queued are stale and dropped
  std::size_t cached_bytes_ = 0;
  Stats stats_;
  std::vector<std::thread> pool_;
  bool stopping_ = false;
};

}  // namespace tl::data
