// LazyImages: a store's images when they are decoded on demand rather than
// held in memory (an image folder larger than memory, or any image folder
// before its first epoch). The batch pipeline asks for a batch's images with
// read() and announces the next batches with prefetch(), so an
// implementation can prepare them on other threads while the current batch
// trains (runtime/data/folder_images.hpp does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tl::data {

class LazyImages {
 public:
  virtual ~LazyImages() = default;
  /// Bytes per image (height * width * channels).
  virtual std::size_t image_bytes() const = 0;
  /// Copies images ids[0..n) to dst + k * image_bytes(), in order (repeats
  /// allowed). ok[k] says whether image ids[k] could be read; an image that
  /// fails is left out only when the source skips bad files (its bytes in
  /// dst are then unspecified); otherwise read() throws DataError naming the
  /// file. Safe to call from several threads.
  virtual void read(const std::uint32_t* ids, std::size_t n, std::uint8_t* dst, bool* ok) = 0;
  /// Announces that images ids[0..n) will be read soon; returns at once.
  virtual void prefetch(const std::uint32_t* ids, std::size_t n) = 0;
  /// Every file skipped so far (when the source skips bad files), and why.
  virtual std::vector<std::pair<std::string, std::string>> skipped() const = 0;
};

}  // namespace tl::data
