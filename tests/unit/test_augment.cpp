// Augmentation (runtime/data/augment.hpp): each kind does what it says, a
// sample's draw depends only on (seed, epoch, sample), and evaluation batches
// are never augmented.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "runtime/data/augment.hpp"
#include "runtime/train/batch_buffers.hpp"

using tl::check::AugmentSpec;
using namespace tl::data;

namespace {

/// n samples of h x w x 1 bytes, each pixel (y * w + x + 7 * sample) % 200 + 20.
std::vector<std::uint8_t> ramp(std::size_t n, int h, int w) {
  std::vector<std::uint8_t> v(n * std::size_t(h) * w);
  for (std::size_t i = 0; i < n; ++i)
    for (int p = 0; p < h * w; ++p) v[i * std::size_t(h) * w + std::size_t(p)] = static_cast<std::uint8_t>((p + 7 * i) % 200 + 20);
  return v;
}

AugmentSpec spec(AugmentSpec::Kind kind, double amount = 0, int padding = 0) {
  AugmentSpec s;
  s.kind = kind;
  s.amount = amount;
  s.padding = padding;
  s.horizontal = true;
  return s;
}

}  // namespace

TEST_CASE("augment: a sample's draw depends on (seed, epoch, sample), not on its batch") {
  const std::vector<AugmentSpec> specs = {spec(AugmentSpec::Kind::Flip), spec(AugmentSpec::Kind::Crop, 0, 2),
                                          spec(AugmentSpec::Kind::Rotate, 15), spec(AugmentSpec::Kind::Brightness, 0.2),
                                          spec(AugmentSpec::Kind::Contrast, 0.3)};
  const int h = 6, w = 5;
  const std::size_t sample = std::size_t(h) * w;
  auto batch = ramp(4, h, w);
  const std::vector<std::uint32_t> indices = {10, 11, 12, 13};
  augment_bytes(specs, {3, 1}, indices.data(), 4, h, w, 1, batch.data());
  // Sample 12 alone (third in the batch above).
  auto alone = ramp(4, h, w);
  std::vector<std::uint8_t> one(alone.begin() + 2 * sample, alone.begin() + 3 * sample);
  const std::uint32_t twelve = 12;
  augment_bytes(specs, {3, 1}, &twelve, 1, h, w, 1, one.data());
  CHECK(std::equal(one.begin(), one.end(), batch.begin() + 2 * sample));
  // Another epoch or seed draws differently (for some of 64 samples).
  auto draw_all = [&](std::uint64_t seed, std::uint32_t epoch) {
    auto v = ramp(64, h, w);
    std::vector<std::uint32_t> idx(64);
    std::iota(idx.begin(), idx.end(), 0u);
    augment_bytes(specs, {seed, epoch}, idx.data(), 64, h, w, 1, v.data());
    return v;
  };
  CHECK(draw_all(3, 1) == draw_all(3, 1));
  CHECK(draw_all(3, 1) != draw_all(3, 2));
  CHECK(draw_all(3, 1) != draw_all(4, 1));
}

TEST_CASE("augment: flips mirror, crops shift within the padding, both over many draws") {
  const int h = 4, w = 6;
  const std::size_t n = 200, sample = std::size_t(h) * w;
  std::vector<std::uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  const auto original = ramp(n, h, w);
  auto flipped = original;
  augment_bytes({spec(AugmentSpec::Kind::Flip)}, {1, 1}, idx.data(), n, h, w, 1, flipped.data());
  std::size_t mirrored = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* o = original.data() + i * sample;
    const std::uint8_t* f = flipped.data() + i * sample;
    bool same = std::equal(o, o + sample, f), mirror = true;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) mirror = mirror && f[y * w + x] == o[y * w + (w - 1 - x)];
    CHECK((same || mirror));
    mirrored += mirror && !same;
  }
  CHECK(mirrored > 70);  // each with probability 1/2
  CHECK(mirrored < 130);
  auto cropped = original;
  augment_bytes({spec(AugmentSpec::Kind::Crop, 0, 2)}, {1, 1}, idx.data(), n, h, w, 1, cropped.data());
  std::size_t moved = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* o = original.data() + i * sample;
    const std::uint8_t* c = cropped.data() + i * sample;
    bool found = false;
    for (int dy = -2; dy <= 2 && !found; ++dy)
      for (int dx = -2; dx <= 2 && !found; ++dx) {
        bool match = true;
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) {
            const int sy = y - dy, sx = x - dx;
            const std::uint8_t want = sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : o[sy * w + sx];
            match = match && c[y * w + x] == want;
          }
        found = match;
        moved += match && (dy || dx);
      }
    CHECK(found);
  }
  CHECK(moved > 150);  // 24 of the 25 shifts move
  // Flip then crop (composed into one pass): a shift of the image or of its mirror.
  auto both = original;
  augment_bytes({spec(AugmentSpec::Kind::Flip), spec(AugmentSpec::Kind::Crop, 0, 2)}, {5, 3}, idx.data(), n, h, w, 1,
                both.data());
  std::size_t mirrored_and_moved = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* o = original.data() + i * sample;
    const std::uint8_t* c = both.data() + i * sample;
    bool found = false;
    for (int m = 0; m < 2 && !found; ++m)
      for (int dy = -2; dy <= 2 && !found; ++dy)
        for (int dx = -2; dx <= 2 && !found; ++dx) {
          bool match = true;
          for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
              const int sy = y - dy, sx = x - dx;
              const std::uint8_t want = sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : o[sy * w + (m ? w - 1 - sx : sx)];
              match = match && c[y * w + x] == want;
            }
          found = match;
          mirrored_and_moved += match && m && (dy || dx);
        }
    CHECK(found);
  }
  CHECK(mirrored_and_moved > 60);
}

TEST_CASE("augment: brightness and contrast stay in bytes, and noise has the asked spread") {
  const int h = 8, w = 8;
  const std::size_t n = 50;
  std::vector<std::uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  auto v = ramp(n, h, w);
  augment_bytes({spec(AugmentSpec::Kind::Brightness, 1.0)}, {2, 1}, idx.data(), n, h, w, 1, v.data());
  CHECK(std::count(v.begin(), v.end(), 0) + std::count(v.begin(), v.end(), 255) > 0);  // clamped, not wrapped
  auto c = ramp(1, h, w);
  const double before = std::accumulate(c.begin(), c.end(), 0.0) / double(c.size());
  augment_bytes({spec(AugmentSpec::Kind::Contrast, 0.5)}, {2, 1}, idx.data(), 1, h, w, 1, c.data());
  CHECK(std::accumulate(c.begin(), c.end(), 0.0) / double(c.size()) == doctest::Approx(before).epsilon(0.02));
  std::vector<float> values(n * 64, 0.0f);
  add_noise({spec(AugmentSpec::Kind::Noise, 0.1)}, {2, 1}, idx.data(), n, 64, values.data());
  double sum = 0, squares = 0;
  for (float x : values) sum += x, squares += double(x) * x;
  const double mean = sum / double(values.size());
  CHECK(std::fabs(mean) < 0.01);
  CHECK(std::sqrt(squares / double(values.size()) - mean * mean) == doctest::Approx(0.1).epsilon(0.08));
}

TEST_CASE("augment: batches for evaluation (no draw) are the data as it is") {
  ImagesAndLabels raw;
  raw.height = raw.width = 4;
  raw.channels = 1;
  raw.pixels = ramp(8, 4, 4);
  raw.labels.assign(8, 0);
  Dataset ds = make_dataset(raw);
  ds.augment = std::make_shared<const std::vector<AugmentSpec>>(
      std::vector<AugmentSpec>{spec(AugmentSpec::Kind::Flip), spec(AugmentSpec::Kind::Noise, 0.5)});
  const std::vector<std::uint32_t> idx = {0, 1, 2, 3, 4, 5, 6, 7};
  tl::train::BatchBuffers eval;
  const tl::exec::Feeds plain = eval.fill(ds, idx.data(), 8);
  REQUIRE(plain.image_bytes != nullptr);
  CHECK(std::equal(raw.pixels.begin(), raw.pixels.end(), plain.image_bytes->data));
  tl::train::BatchBuffers train;
  const AugmentDraw draw{1, 1};
  const tl::exec::Feeds augmented = train.fill(ds, idx.data(), 8, &draw);
  REQUIRE(augmented.images != nullptr);  // noise: fed as floats
  CHECK(augmented.images->size() == raw.pixels.size());
}
