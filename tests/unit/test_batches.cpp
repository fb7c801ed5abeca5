// The batch pipeline: epoch order from the streaming shuffle buffer, batch
// counts and slicing, gathering with pixel scaling, and gathering raw bytes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <stdexcept>

#include "runtime/data/batches.hpp"

using namespace tl::data;

namespace {

bool is_permutation_of_iota(std::vector<std::uint32_t> order) {
  std::sort(order.begin(), order.end());
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] != i) return false;
  return true;
}

std::vector<std::uint32_t> iota(std::size_t n) {
  std::vector<std::uint32_t> out(n);
  std::iota(out.begin(), out.end(), 0u);
  return out;
}

}  // namespace

TEST_CASE("batches: epoch_order is a permutation for every buffer size") {
  for (std::size_t buffer : {0, 1, 2, 7, 100, 1000, 5000})
    for (std::size_t n : {0, 1, 2, 10, 999}) {
      CAPTURE(buffer);
      CAPTURE(n);
      CHECK(is_permutation_of_iota(epoch_order(n, buffer, 3, 0)));
    }
}

TEST_CASE("batches: buffer 0 or 1 keeps the order") {
  CHECK(epoch_order(50, 0, 3, 4) == iota(50));
  CHECK(epoch_order(50, 1, 3, 4) == iota(50));
}

TEST_CASE("batches: epoch_order is deterministic and differs across epochs and seeds") {
  const auto a = epoch_order(500, 100, 42, 0);
  CHECK(a == epoch_order(500, 100, 42, 0));
  CHECK(a != epoch_order(500, 100, 42, 1));
  CHECK(a != epoch_order(500, 100, 43, 0));
  CHECK(a != iota(500));
  CHECK(epoch_order(500, 500, 42, 0) != epoch_order(500, 1000, 42, 1));
}

TEST_CASE("batches: the shuffle buffer streams") {
  // Position k can only hold an index the buffer has read: < k + buffer.
  const std::size_t n = 2000, buffer = 50;
  const auto order = epoch_order(n, buffer, 9, 2);
  for (std::size_t k = 0; k < n; ++k) CHECK(order[k] < k + buffer);
  CHECK(order[0] < buffer);
  // A buffer of 2 moves each element only a little.
  const auto tight = epoch_order(100, 2, 9, 0);
  for (std::size_t k = 0; k < 100; ++k) CHECK(tight[k] <= k + 1);
}

TEST_CASE("batches: a buffer >= n shuffles uniformly") {
  // Where index 0 lands over many epochs: each of the n positions about equally.
  const std::size_t n = 8, epochs = 8000;
  std::vector<int> where(n, 0);
  for (std::uint32_t e = 0; e < epochs; ++e) {
    const auto order = epoch_order(n, 100, 1, e);
    ++where[std::find(order.begin(), order.end(), 0u) - order.begin()];
  }
  for (int count : where) CHECK(std::abs(count - int(epochs / n)) < 150);  // ~5 sigma
}

TEST_CASE("batches: batch_count and batch_indices keep the last partial batch") {
  CHECK(batch_count(60000, 64) == 938);
  CHECK(batch_count(64, 64) == 1);
  CHECK(batch_count(65, 64) == 2);
  CHECK(batch_count(0, 64) == 0);
  CHECK_THROWS_AS(batch_count(10, 0), std::invalid_argument);
  const auto order = iota(10);
  CHECK(batch_indices(order, 4, 0).size() == 4);
  CHECK(batch_indices(order, 4, 2).size() == 2);
  CHECK(batch_indices(order, 4, 2)[1] == 9);
  CHECK(batch_indices(order, 4, 3).empty());
}

TEST_CASE("batches: gather scales pixels and converts labels") {
  Dataset ds = make_dataset({1, 2, 2, {0, 255, 10, 20, /* sample 1 */ 1, 2, 3, 4, /* sample 2 */ 51, 102, 153, 204},
                             {7, 8, 9}});
  ds.pixels.scale = 1.0f / 255;
  const std::uint32_t idx[] = {2, 0};
  std::vector<float> images(2 * 4), labels(2);
  gather(ds, idx, 2, images.data(), labels.data());
  CHECK(images[0] == doctest::Approx(0.2));
  CHECK(images[3] == doctest::Approx(0.8));
  CHECK(images[4] == 0.0f);
  CHECK(images[5] == 1.0f);
  CHECK(labels == std::vector<float>{9, 7});
  const std::uint32_t bad[] = {3};
  CHECK_THROWS_AS(gather(ds, bad, 1, images.data(), labels.data()), std::out_of_range);
}

TEST_CASE("batches: gather applies a normalized view's pixel map, pixel * scale + offset") {
  const Dataset raw = make_dataset({1, 1, 4, {0, 255, 10, 200}, {3}});
  const Dataset ds = normalize_pixels(scale_pixels(raw, 1.0 / 255), 0.1307, 0.3081);
  const std::uint32_t idx[] = {0};
  std::vector<float> images(4), labels(1);
  gather(ds, idx, 1, images.data(), labels.data());
  const std::uint8_t bytes[] = {0, 255, 10, 200};
  for (int k = 0; k < 4; ++k) {
    CAPTURE(k);
    // The folded map, rounded as gather rounds it (a multiply, then an add)...
    CHECK(images[k] == static_cast<float>(bytes[k]) * ds.pixels.float_scale() + ds.pixels.float_offset());
    // ... is the normalisation the script asked for, to float precision.
    CHECK(images[k] == doctest::Approx((bytes[k] / 255.0 - 0.1307) / 0.3081).epsilon(1e-6));
  }
  CHECK(images[0] == doctest::Approx(-0.4242129).epsilon(1e-6));
}

TEST_CASE("batches: gather reads a view through its index, and float images unscaled") {
  Dataset ds = make_dataset({1, 1, 2, {10, 11, /* 1 */ 20, 21, /* 2 */ 30, 31}, {0, 1, 2}});
  ds.pixels.scale = 0.5f;
  const Dataset view = relabel(select(ds, {2, 0}), {{2, 5}});
  const std::uint32_t idx[] = {1, 0, 0};
  std::vector<float> images(6), labels(3);
  gather(view, idx, 3, images.data(), labels.data());
  CHECK(images == std::vector<float>{5, 5.5f, 15, 15.5f, 15, 15.5f});
  CHECK(labels == std::vector<float>{0, 5, 5});

  const Dataset floats = make_float_dataset(1, 1, 2, {0.25f, 0.5f, 2, 3}, {4, 6});
  const std::uint32_t one[] = {1};
  gather(floats, one, 1, images.data(), labels.data());
  CHECK(images[0] == 2.0f);
  CHECK(images[1] == 3.0f);
  CHECK(labels[0] == 6.0f);
}

TEST_CASE("batches: gather_bytes copies raw bytes and labels, unscaled") {
  Dataset ds = make_dataset({1, 2, 2, {0, 255, 10, 20, /* sample 1 */ 1, 2, 3, 4, /* sample 2 */ 51, 102, 153, 204},
                             {7, 8, 9}});
  ds.pixels.scale = 1.0f / 255;  // not applied: the consumer scales
  const std::uint32_t idx[] = {2, 0, 2};
  std::vector<std::uint8_t> images(3 * 4);
  std::vector<float> labels(3);
  gather_bytes(ds, idx, 3, images.data(), labels.data());
  CHECK(images == std::vector<std::uint8_t>{51, 102, 153, 204, 0, 255, 10, 20, 51, 102, 153, 204});
  CHECK(labels == std::vector<float>{9, 7, 9});

  // Through a view's index, matching gather's floats once scaled.
  const Dataset view = select(ds, {1, 2});
  const std::uint32_t first[] = {0, 1};
  gather_bytes(view, first, 2, images.data(), labels.data());
  CHECK(std::vector<std::uint8_t>(images.begin(), images.begin() + 8) ==
        std::vector<std::uint8_t>{1, 2, 3, 4, 51, 102, 153, 204});
  CHECK(labels[0] == 8.0f);
  std::vector<float> scaled(8), scaled_labels(2);
  gather(view, first, 2, scaled.data(), scaled_labels.data());
  for (std::size_t k = 0; k < 8; ++k) CHECK(scaled[k] == static_cast<float>(images[k]) * view.pixels.float_scale() + view.pixels.float_offset());

  const std::uint32_t bad[] = {0, 2};
  CHECK_THROWS_AS(gather_bytes(view, bad, 2, images.data(), labels.data()), std::out_of_range);
  const Dataset floats = make_float_dataset(1, 2, 2, std::vector<float>(4), {0});
  const std::uint32_t zero[] = {0};
  CHECK_THROWS_AS(gather_bytes(floats, zero, 1, images.data(), labels.data()), std::logic_error);
  gather_bytes(ds, zero, 0, images.data(), labels.data());  // an empty batch touches nothing
}
