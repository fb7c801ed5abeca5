// Image folders decoded while used (runtime/data/folder_images.hpp): the
// bytes equal those of decoding every file up front, the cache holds what
// fits and no more, prefetched images are not decoded twice, concurrent
// reads agree, and a file whose pixels fail is an error or, when bad files
// are skipped, left out and recorded once.
#include <doctest/doctest.h>
#include <spng.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "runtime/data/batches.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/folder_images.hpp"
#include "runtime/data/image_folder.hpp"

namespace fs = std::filesystem;
using tl::data::FolderImages;

namespace {

/// Writes a gray 8-bit PNG of h x w pixels, pixel (y, x) = seed + 7y + 3x.
void write_png(const std::string& path, int h, int w, int seed) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(h * w));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) pixels[static_cast<std::size_t>(y * w + x)] = static_cast<std::uint8_t>(seed + 7 * y + 3 * x);
  spng_ctx* ctx = spng_ctx_new(SPNG_CTX_ENCODER);
  REQUIRE(ctx);
  spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
  spng_ihdr ihdr{};
  ihdr.width = static_cast<std::uint32_t>(w);
  ihdr.height = static_cast<std::uint32_t>(h);
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_GRAYSCALE;
  spng_set_ihdr(ctx, &ihdr);
  REQUIRE(spng_encode_image(ctx, pixels.data(), pixels.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE) == 0);
  std::size_t size = 0;
  int error = 0;
  void* png = spng_get_png_buffer(ctx, &size, &error);
  REQUIRE(png);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(png, 1, size, f);
  std::fclose(f);
  std::free(png);
  spng_ctx_free(ctx);
}

/// A folder of two classes, `per_class` 12x10 PNGs each (labels 0, 1).
struct Folder {
  fs::path root;
  explicit Folder(int per_class, const std::string& name = "folder") {
    root = fs::temp_directory_path() / ("tl-folder-images-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(root);
    for (int c = 0; c < 2; ++c) {
      fs::create_directories(root / ("class" + std::to_string(c)));
      for (int i = 0; i < per_class; ++i) {
        char file[32];
        std::snprintf(file, sizeof file, "%03d.png", i);
        write_png((root / ("class" + std::to_string(c)) / file).string(), 12, 10, c * 100 + i);
      }
    }
  }
  ~Folder() { fs::remove_all(root); }
  tl::data::FolderListing listing() const { return tl::data::list_folder(root.string(), {}); }
};

std::vector<std::uint32_t> all_ids(std::size_t n) {
  std::vector<std::uint32_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0u);
  return ids;
}

/// Every image of `images`, read in one call.
std::vector<std::uint8_t> read_all(FolderImages& images, std::size_t n) {
  const auto ids = all_ids(n);
  std::vector<std::uint8_t> bytes(n * images.image_bytes());
  std::unique_ptr<bool[]> ok(new bool[n]);
  images.read(ids.data(), n, bytes.data(), ok.get());
  for (std::size_t i = 0; i < n; ++i) CHECK(ok[i]);
  return bytes;
}

}  // namespace

TEST_CASE("folder images: the bytes of decoding every file up front, whatever the cache holds") {
  const Folder folder(9);
  const auto listing = folder.listing();
  const auto eager = tl::data::load_folder(listing, {});
  const std::size_t n = listing.files.size();
  for (const std::size_t cache : {std::size_t{0}, std::size_t{5 * 120}, std::size_t{1} << 20}) {
    FolderImages images(listing, false, cache, 2);
    CHECK(read_all(images, n) == eager.pixels);
    CHECK(read_all(images, n) == eager.pixels);
  }
}

TEST_CASE("folder images: the cache keeps what fits, first decoded first kept, and nothing more") {
  const Folder folder(10);
  const auto listing = folder.listing();
  const std::size_t n = listing.files.size(), bytes = 12 * 10;
  SUBCASE("everything fits: decoded once") {
    FolderImages images(listing, false, n * bytes, 2);
    read_all(images, n);
    read_all(images, n);
    const auto s = images.stats();
    CHECK(s.decoded == n);
    CHECK(s.cache_hits == n);
    CHECK(s.cached_images == n);
    CHECK(s.cached_bytes == n * bytes);
  }
  SUBCASE("no cache: decoded at every read") {
    FolderImages images(listing, false, 0, 2);
    read_all(images, n);
    read_all(images, n);
    const auto s = images.stats();
    CHECK(s.decoded == 2 * n);
    CHECK(s.cached_images == 0);
  }
  SUBCASE("room for 7 images") {
    FolderImages images(listing, false, 7 * bytes + bytes / 2, 2);
    read_all(images, n);
    read_all(images, n);
    const auto s = images.stats();
    CHECK(s.cached_images == 7);
    CHECK(s.cached_bytes == 7 * bytes);
    CHECK(s.decoded == 2 * n - 7);
  }
}

TEST_CASE("folder images: a prefetched batch is decoded once, by the pool") {
  const Folder folder(16);
  const auto listing = folder.listing();
  const auto eager = tl::data::load_folder(listing, {});
  FolderImages images(listing, false, 0, 3);
  const std::vector<std::uint32_t> batch = {31, 2, 17, 5, 2};  // a repeat too
  images.prefetch(batch.data(), batch.size());
  std::vector<std::uint8_t> got(batch.size() * images.image_bytes());
  bool ok[5];
  images.read(batch.data(), batch.size(), got.data(), ok);
  CHECK(images.stats().decoded == 4);
  for (std::size_t k = 0; k < batch.size(); ++k) {
    CHECK(ok[k]);
    CHECK(std::equal(got.begin() + static_cast<std::ptrdiff_t>(k * 120), got.begin() + static_cast<std::ptrdiff_t>((k + 1) * 120),
                     eager.pixels.begin() + static_cast<std::ptrdiff_t>(batch[k] * 120)));
  }
}

TEST_CASE("folder images: concurrent readers get the same bytes") {
  const Folder folder(20);
  const auto listing = folder.listing();
  const auto eager = tl::data::load_folder(listing, {});
  FolderImages images(listing, false, 15 * 120, 2);
  const std::size_t n = listing.files.size();
  std::vector<std::vector<std::uint8_t>> results(4);
  std::vector<std::thread> readers;
  for (std::size_t t = 0; t < results.size(); ++t)
    readers.emplace_back([&, t] {
      // Each reader takes the images in its own order, three at a time.
      std::vector<std::uint8_t> mine(n * 120);
      for (std::size_t at = 0; at < n; at += 3) {
        std::vector<std::uint32_t> ids;
        for (std::size_t k = at; k < std::min(n, at + 3); ++k) ids.push_back(static_cast<std::uint32_t>((k * (t + 1) * 7) % n));
        std::vector<std::uint8_t> got(ids.size() * 120);
        bool ok[3];
        images.prefetch(ids.data(), ids.size());
        images.read(ids.data(), ids.size(), got.data(), ok);
        for (std::size_t k = 0; k < ids.size(); ++k) std::copy_n(got.begin() + static_cast<std::ptrdiff_t>(k * 120), 120, mine.begin() + static_cast<std::ptrdiff_t>(ids[k] * 120));
      }
      results[t] = std::move(mine);
    });
  for (auto& r : readers) r.join();
  // Readers 0 and 2 (steps 7 and 21, coprime with 40) visit every image.
  CHECK(results[0] == eager.pixels);
  CHECK(results[2] == eager.pixels);
}

TEST_CASE("folder images: a file whose pixels fail stops the read, or is skipped and recorded once") {
  const Folder folder(4, "bad");
  // Keep the first 45 bytes: the signature and the header (33 bytes) survive, the pixels do not.
  const fs::path bad = folder.root / "class1" / "002.png";
  fs::resize_file(bad, 45);
  const auto listing = folder.listing();  // headers only: the file is listed
  const std::size_t n = listing.files.size();
  REQUIRE(n == 8);
  const auto ids = all_ids(n);
  std::vector<std::uint8_t> bytes(n * 120);
  bool ok[8];
  SUBCASE("stop") {
    FolderImages images(listing, false, 0, 2);  // no cache: each read's images are freed after it
    try {
      images.read(ids.data(), n, bytes.data(), ok);
      FAIL("expected a DataError");
    } catch (const tl::data::DataError& e) {
      CHECK(e.path() == bad.string());
    }
    CHECK(images.skipped().empty());
    // The failed read freed its batch: reading a good image decodes it again.
    const auto decoded = images.stats().decoded;
    const std::uint32_t good = 0;
    images.read(&good, 1, bytes.data(), ok);
    CHECK(ok[0]);
    CHECK(images.stats().decoded == decoded + 1);
  }
  SUBCASE("skip") {
    FolderImages images(listing, true, 1 << 20, 2);
    images.read(ids.data(), n, bytes.data(), ok);
    images.read(ids.data(), n, bytes.data(), ok);
    for (std::size_t i = 0; i < n; ++i) CHECK(ok[i] == (i != 6));
    REQUIRE(images.skipped().size() == 1);
    CHECK(images.skipped()[0].first == bad.string());
  }
  SUBCASE("a batch gathered from a folder dataset leaves the bad sample out") {
    const tl::data::Dataset ds = tl::data::folder_dataset(listing, true, 1 << 20, 2);
    std::vector<std::uint8_t> batch(n * 120);
    std::vector<float> labels(n);
    std::vector<std::uint32_t> kept(n);
    CHECK(tl::data::gather_bytes(ds, ids.data(), n, batch.data(), labels.data(), kept.data()) == 7);
    CHECK(kept[5] == 5);
    CHECK(kept[6] == 7);
    CHECK(labels[6] == 1.0f);
    CHECK(ds.store->skipped_files().size() == 1);
  }
}
