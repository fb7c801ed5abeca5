// Decoding an image folder while it is used; see folder_images.hpp.
#include "runtime/data/folder_images.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image/resize.hpp"

namespace tl::data {

std::size_t default_image_cache_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const std::size_t physical = pages > 0 && page > 0 ? std::size_t(pages) * std::size_t(page) : std::size_t{4} << 30;
  return std::min(physical / 4, std::size_t{8} << 30);
}

Dataset folder_dataset(FolderListing listing, bool skip_bad, std::size_t cache_bytes, int threads) {
  Dataset ds;
  ds.height = listing.height;
  ds.width = listing.width;
  ds.channels = listing.channels;
  ds.labels = listing.labels;
  ds.labelled = !listing.class_names.empty();
  if (ds.labelled) ds.class_names = std::make_shared<const std::vector<std::string>>(listing.class_names);
  auto store = std::make_shared<PixelStore>();
  store->files = listing.files;
  store->skipped = listing.skipped;
  store->lazy = std::make_shared<FolderImages>(std::move(listing), skip_bad, cache_bytes, threads);
  ds.store = std::move(store);
  return ds;
}

FolderImages::FolderImages(FolderListing listing, bool skip_bad, std::size_t cache_bytes, int threads)
    : listing_(std::move(listing)),
      skip_bad_(skip_bad),
      bytes_(std::size_t(listing_.height) * std::size_t(listing_.width) * std::size_t(listing_.channels)),
      budget_(cache_bytes),
      threads_(threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
      slots_(listing_.files.size()),
      reported_(listing_.files.size(), false) {}

FolderImages::~FolderImages() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (auto& t : pool_) t.join();
}

void FolderImages::start_pool() {
  // The caller of read() decodes too, so the pool has one thread fewer than
  // the decode threads asked for (at least one, to work ahead).
  if (!pool_.empty()) return;
  for (int t = 0; t < std::max(1, threads_ - 1); ++t) pool_.emplace_back([this] { worker(); });
}

template <class Done>
void FolderImages::work_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, Done&& done) {
  while (!done()) {
    if (queue_.empty()) {
      wake.wait(lock);
      continue;
    }
    const std::uint32_t id = queue_.front();
    queue_.pop_front();
    if (slots_[id].state == State::Queued) decode(lock, id);  // else a stale entry
  }
}

void FolderImages::worker() {
  std::unique_lock<std::mutex> lock(mu_);
  work_until(lock, queued_, [this] { return stopping_; });
}

void FolderImages::decode(std::unique_lock<std::mutex>& lock, std::uint32_t id) {
  slots_[id].state = State::Decoding;
  const std::string& path = listing_.files[id];
  lock.unlock();
  std::unique_ptr<std::uint8_t[]> pixels;
  std::exception_ptr error;
  try {
    const image::Image img = image::read_image(path, listing_.height, listing_.width, listing_.channels);
    pixels.reset(new std::uint8_t[bytes_]);
    std::memcpy(pixels.get(), img.pixels.data(), bytes_);
  } catch (const DataError&) {
    error = std::current_exception();
  } catch (const std::bad_alloc&) {
    error = std::make_exception_ptr(DataError(path, std::nullopt, "out of memory decoding it"));
  } catch (const std::exception& e) {  // never leave the slot Decoding: readers wait for it
    error = std::make_exception_ptr(DataError(path, std::nullopt, std::string("cannot decode it: ") + e.what()));
  } catch (...) {
    error = std::make_exception_ptr(DataError(path, std::nullopt, "cannot decode it"));
  }
  lock.lock();
  Slot& slot = slots_[id];
  ++stats_.decoded;
  if (error) {
    slot.state = State::Failed;
    errors_[id] = error;
  } else {
    slot.pixels = std::move(pixels);
    slot.state = State::Ready;
    if (cached_bytes_ + bytes_ <= budget_) {
      slot.cached = true;
      cached_bytes_ += bytes_;
      ++stats_.cached_images;
    }
  }
  finished_.notify_all();
}

void FolderImages::prefetch(const std::uint32_t* ids, std::size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  start_pool();
  bool any = false;
  for (std::size_t k = 0; k < n; ++k) {
    Slot& slot = slots_.at(ids[k]);
    if (slot.state != State::Idle) continue;
    slot.state = State::Queued;
    queue_.push_back(ids[k]);
    any = true;
  }
  if (any) queued_.notify_all();
}

void FolderImages::read(const std::uint32_t* ids, std::size_t n, std::uint8_t* dst, bool* ok) {
  std::unique_lock<std::mutex> lock(mu_);
  start_pool();
  // 1. This batch's images go to the front of the queue, in batch order
  //    (queued ones again: their old entries become stale).
  for (std::size_t k = n; k-- > 0;) {
    Slot& slot = slots_.at(ids[k]);
    if (slot.state == State::Idle || slot.state == State::Queued) {
      slot.state = State::Queued;
      queue_.push_front(ids[k]);
    } else if (slot.state == State::Ready) {
      ++stats_.cache_hits;
    }
  }
  queued_.notify_all();
  // 2. Decode beside the pool until every one is done. (An image another
  //    reader has just freed is queued again.)
  auto settled = [&] {
    bool all = true;
    for (std::size_t k = 0; k < n; ++k) {
      Slot& slot = slots_[ids[k]];
      if (slot.state == State::Idle) {
        slot.state = State::Queued;
        queue_.push_front(ids[k]);
      }
      all = all && (slot.state == State::Ready || slot.state == State::Failed);
    }
    return all;
  };
  work_until(lock, finished_, settled);
  // 3. Copy; then free what the cache does not keep. A failure stops the
  //    read (the first in batch order, once the batch is freed), unless bad
  //    files are skipped.
  std::exception_ptr first_error;
  for (std::size_t k = 0; k < n; ++k) {
    const Slot& slot = slots_[ids[k]];
    ok[k] = slot.state == State::Ready;
    if (ok[k]) {
      std::memcpy(dst + k * bytes_, slot.pixels.get(), bytes_);
      continue;
    }
    if (!skip_bad_) {
      if (!first_error) first_error = errors_.at(ids[k]);
      continue;
    }
    if (!reported_[ids[k]]) {
      reported_[ids[k]] = true;
      try {
        std::rethrow_exception(errors_.at(ids[k]));
      } catch (const DataError& e) {
        skipped_.emplace_back(listing_.files[ids[k]], e.message());
      }
    }
  }
  for (std::size_t k = 0; k < n; ++k) {
    Slot& slot = slots_[ids[k]];
    if (slot.state == State::Ready && !slot.cached) {
      slot.pixels.reset();
      slot.state = State::Idle;
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

std::vector<std::pair<std::string, std::string>> FolderImages::skipped() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::string>> all = listing_.skipped;  // header failures, found when listing
  all.insert(all.end(), skipped_.begin(), skipped_.end());
  return all;
}

FolderImages::Stats FolderImages::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.cached_bytes = cached_bytes_;
  return s;
}

}  // namespace tl::data
