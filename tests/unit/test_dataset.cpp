// Datasets: finding a named dataset on disk, loading an IDX images/labels
// pair (and its count check), the transformations filter, relabel,
// scale_pixels, normalize_pixels, select and split, and that they are views sharing one pixel
// store (indices composed, no pixels copied).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include <unistd.h>

#include "runtime/data/batches.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/dataset.hpp"
#include "runtime/data/idx.hpp"
#include "runtime/data/locate.hpp"
#include "runtime/data/pixel_stats.hpp"

namespace fs = std::filesystem;
using namespace tl::data;

namespace {

/// n samples of h x w x c; sample i has label i (so order is visible) and
/// every pixel equal to i % 251.
Dataset numbered(std::size_t n, int h = 2, int w = 2, int c = 1) {
  ImagesAndLabels raw{h, w, c, {}, {}};
  const std::size_t sample = std::size_t(h) * w * c;
  for (std::size_t i = 0; i < n; ++i) {
    raw.labels.push_back(static_cast<std::int32_t>(i));
    raw.pixels.insert(raw.pixels.end(), sample, static_cast<std::uint8_t>(i % 251));
  }
  return make_dataset(std::move(raw));
}

/// Every sample's pixels still match its label (the numbered() invariant).
bool pixels_follow_labels(const Dataset& ds) {
  for (std::size_t i = 0; i < ds.size(); ++i)
    for (std::size_t k = 0; k < ds.sample_bytes(); ++k)
      if (ds.sample(i)[k] != ds.labels[i] % 251) return false;
  return true;
}

std::vector<std::int32_t> all_labels(const std::vector<Dataset>& parts) {
  std::vector<std::int32_t> out;
  for (const Dataset& p : parts) out.insert(out.end(), p.labels.begin(), p.labels.end());
  return out;
}

std::vector<std::size_t> sizes(const std::vector<Dataset>& parts) {
  std::vector<std::size_t> out;
  for (const Dataset& p : parts) out.push_back(p.size());
  return out;
}

}  // namespace

TEST_CASE("dataset: load_idx_pair reads 3-d and 4-d images with their labels") {
  const fs::path dir = fs::temp_directory_path() / ("tl_test_dataset_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto file = [&](const char* name) { return (dir / name).string(); };
  std::vector<std::uint8_t> pixels(3 * 2 * 4);
  std::iota(pixels.begin(), pixels.end(), std::uint8_t{0});
  write_idx(file("img"), {{3, 2, 4}, pixels});
  write_idx(file("img4.gz"), {{3, 2, 2, 2}, pixels}, true);
  write_idx(file("lab.gz"), {{3}, {5, 0, 4}}, true);
  write_idx(file("lab2"), {{2}, {1, 1}});

  const Dataset ds = load_idx_pair(file("img"), file("lab.gz"));
  CHECK(ds.size() == 3);
  CHECK(ds.height == 2);
  CHECK(ds.width == 4);
  CHECK(ds.channels == 1);
  CHECK(ds.pixels.scale == 1.0);
  CHECK(ds.store->bytes == pixels);
  CHECK(ds.index == nullptr);
  CHECK(std::equal(pixels.begin() + 8, pixels.begin() + 16, ds.sample(1)));
  CHECK(ds.labels == std::vector<std::int32_t>{5, 0, 4});

  const Dataset ds4 = load_idx_pair(file("img4.gz"), file("lab.gz"));
  CHECK(ds4.channels == 2);
  CHECK(ds4.sample_bytes() == 8);

  try {
    load_idx_pair(file("img"), file("lab2"));
    FAIL("count mismatch not detected");
  } catch (const DataError& e) {
    CHECK(e.path() == file("lab2"));
    CHECK(e.byte_offset() == 4u);
    CHECK(e.message().find("has 2 labels") != std::string::npos);
    CHECK(e.message().find(file("img") + " has 3 images") != std::string::npos);
  }
  // Swapped arguments: the labels file is 1-d, so it is rejected as images.
  CHECK_THROWS_AS(load_idx_pair(file("lab.gz"), file("img")), DataError);
  fs::remove_all(dir);
}

TEST_CASE("dataset: filter keeps matching samples in order") {
  Dataset ds = numbered(20);
  for (auto& l : ds.labels) l %= 5;
  const Dataset kept = filter(ds, [](int label) { return label < 2; });
  CHECK(kept.size() == 8);
  CHECK(std::all_of(kept.labels.begin(), kept.labels.end(), [](int l) { return l < 2; }));
  CHECK(kept.sample(0)[0] == 0);
  CHECK(kept.sample(1)[0] == 1);
  CHECK(kept.sample(2)[0] == 5);
  CHECK(kept.store == ds.store);
  CHECK(filter(ds, [](int) { return false; }).size() == 0);
}

TEST_CASE("dataset: relabel maps listed labels and keeps the rest") {
  const Dataset ds = numbered(5);
  const Dataset out = relabel(ds, {{1, 0}, {3, 9}});
  CHECK(out.labels == std::vector<std::int32_t>{0, 0, 2, 9, 4});
  CHECK(out.store == ds.store);
  CHECK(out.sample(3) == ds.sample(3));
}

TEST_CASE("dataset: class names follow filters, splits and relabels") {
  ImagesAndLabels raw;
  raw.height = raw.width = raw.channels = 1;
  raw.pixels.assign(6, 0);
  raw.labels = {0, 1, 2, 3, 4, 5};
  raw.class_names = {"zero", "one", "two", "three", "four", "five"};
  const Dataset ds = make_dataset(std::move(raw));
  CHECK(ds.class_name(2) == "two");
  CHECK(ds.class_name(9) == "9");  // past the names: its number
  // where label >= 3 | relabel {3: 0, 4: 1, 5: 2}: the names move with the labels.
  const Dataset high = filter(ds, [](int l) { return l >= 3; });
  CHECK(high.class_names == ds.class_names);
  const Dataset moved = relabel(high, {{3, 0}, {4, 1}, {5, 2}});
  CHECK(moved.class_list(3) == std::vector<std::string>{"three", "four", "five"});
  // Merging two present labels joins their names; absent ones take no part.
  const Dataset merged = relabel(high, {{3, 0}, {4, 0}, {5, 1}});
  CHECK(merged.class_list(2) == std::vector<std::string>{"three+four", "five"});
  const auto parts = split(moved, {0.5, 0.5}, 7u);
  CHECK(parts[1].class_names == moved.class_names);
  CHECK(numbered(3).class_list(3).empty());  // no names: none invented
}

TEST_CASE("dataset: a stratified split keeps each label's share in every part") {
  // 90 samples: label 0 x 60, label 1 x 20, label 2 x 10, interleaved unevenly.
  Dataset ds = numbered(90);
  for (std::size_t i = 0; i < 90; ++i) ds.labels[i] = i % 9 < 6 ? 0 : i % 9 < 8 ? 1 : 2;
  for (const std::optional<std::uint64_t> seed : {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{11}}) {
    const auto parts = split(ds, {0.8, 0.2}, seed, true);
    auto count = [](const Dataset& d, int label) { return std::count(d.labels.begin(), d.labels.end(), label); };
    CHECK(count(parts[0], 0) == 48);
    CHECK(count(parts[0], 1) == 16);
    CHECK(count(parts[0], 2) == 8);
    CHECK(count(parts[1], 0) == 12);
    CHECK(count(parts[1], 1) == 4);
    CHECK(count(parts[1], 2) == 2);
    // Every sample is in exactly one part, each still its own (numbered) image.
    std::set<int> seen;
    for (const auto& part : parts)
      for (std::size_t i = 0; i < part.size(); ++i) seen.insert(part.sample(i)[0]);
    CHECK(seen.size() == 90);
  }
  // Without a seed, parts keep dataset order; the first 0.8 of each label go first.
  const auto ordered = split(ds, {0.8, 0.2}, std::nullopt, true);
  CHECK(std::is_sorted(ordered[1].labels.begin(), ordered[1].labels.end()) == false);  // interleaved labels
  std::vector<int> firsts;
  for (std::size_t i = 0; i < ordered[1].size(); ++i) firsts.push_back(ordered[1].sample(i)[0]);
  CHECK(std::is_sorted(firsts.begin(), firsts.end()));
  // A plain split of the same data does not keep the shares (label 2 is 10 of 90).
  const auto plain = split(ds, {0.8, 0.2}, std::nullopt, false);
  CHECK(plain[1].size() == 18);
}

TEST_CASE("dataset: pixel maps compose in double: scale multiplies, normalize centres and divides") {
  const Dataset raw = numbered(3);
  CHECK(raw.pixels.scale == 1.0);
  CHECK(raw.pixels.offset == 0.0);
  const Dataset scaled = scale_pixels(raw, 1.0 / 255);
  CHECK(scaled.pixels.scale == 1.0 / 255);
  CHECK(scaled.pixels.offset == 0.0);
  // scale composes with what is there: 1/255 then 255 is the raw bytes again.
  CHECK(scale_pixels(scaled, 255).pixels.float_scale() == 1.0f);
  const Dataset norm = normalize_pixels(scaled, 0.5, 0.25);
  CHECK(norm.pixels.scale == 1.0 / 255 / 0.25);
  CHECK(norm.pixels.offset == -2.0);  // (0 - 0.5) / 0.25
  // A chain rounds to float once: scale 1/255 | normalize mean 0.1307 std
  // 0.3081 is float(1/255/0.3081), not float(float(1/255)/0.3081).
  const Dataset mnist = normalize_pixels(scaled, 0.1307, 0.3081);
  CHECK(mnist.pixels.float_scale() == static_cast<float>(1.0 / 255 / 0.3081));
  CHECK(mnist.pixels.float_offset() == static_cast<float>(-0.1307 / 0.3081));
  CHECK(mnist.pixels.float_scale() != static_cast<float>(static_cast<float>(1.0 / 255) / 0.3081));
  // normalize after normalize: (v - m) / s of the already normalized value.
  const Dataset twice = normalize_pixels(norm, -2.0, 2.0);
  CHECK(twice.pixels.offset == 0.0);
  CHECK(twice.pixels.scale == 1.0 / 255 / 0.25 / 2.0);
  // scale after normalize multiplies the offset too.
  CHECK(scale_pixels(norm, 3).pixels.offset == -6.0);
  // Views, not copies, and the map survives select, relabel and split.
  CHECK(norm.store == raw.store);
  const Dataset picked = select(norm, {2, 0});
  CHECK(picked.pixels.scale == norm.pixels.scale);
  CHECK(picked.pixels.offset == norm.pixels.offset);
  CHECK(relabel(norm, {{1, 2}}).pixels.offset == norm.pixels.offset);
  CHECK(split(norm, {0.5, 0.5}, 3)[1].pixels.offset == norm.pixels.offset);
  CHECK_THROWS_AS(normalize_pixels(raw, 0.1, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(normalize_pixels(raw, 0.1, -1.0), std::invalid_argument);
  CHECK_THROWS_AS(normalize_pixels(raw, std::nan(""), 1.0), std::invalid_argument);
}

TEST_CASE("dataset: pixel_stats is the mean and population std of the mapped pixel values") {
  const Dataset raw = make_dataset({1, 1, 2, {0, 255, /* 1 */ 10, 10, /* 2 */ 255, 0}, {0, 1, 2}});
  // Values 0, 255, 10, 10, 255, 0: mean 530 / 6; population variance.
  const PixelStats s = pixel_stats(raw);
  CHECK(s.values == 6);
  const double mean = 530.0 / 6;
  double var = 0;
  for (double v : {0.0, 255.0, 10.0, 10.0, 255.0, 0.0}) var += (v - mean) * (v - mean) / 6;
  CHECK(s.mean == doctest::Approx(mean).epsilon(1e-12));
  CHECK(s.std == doctest::Approx(std::sqrt(var)).epsilon(1e-12));
  // Through the view: its samples only, and its pixel map applied.
  const PixelStats one = pixel_stats(scale_pixels(select(raw, {1}), 0.5));
  CHECK(one.values == 2);
  CHECK(one.mean == 5.0);
  CHECK(one.std == 0.0);
  // Normalising by a dataset's own statistics standardises it.
  const PixelStats norm = pixel_stats(normalize_pixels(raw, s.mean, s.std));
  CHECK(norm.mean == doctest::Approx(0.0).scale(1).epsilon(1e-6));
  CHECK(norm.std == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(pixel_stats(select(raw, {})).values == 0);
  // Float samples (a NumPy source): the statistics of the mapped values.
  Dataset floats = make_float_dataset(1, 1, 2, {0.5f, 1.5f, 2.5f, 3.5f}, {0, 1});
  floats.pixels = {2.0, 1.0};
  const PixelStats f = pixel_stats(floats);
  CHECK(f.values == 4);
  CHECK(f.mean == doctest::Approx(5.0));  // 2 * 2 + 1
  CHECK(f.std == doctest::Approx(std::sqrt(5.0)));  // 2 * sqrt(1.25)
}

TEST_CASE("dataset: per-channel normalize maps each channel by its own mean and std") {
  // Two 1x2 RGB samples; channel c of sample i is 10 * (c + 1) + 100 * i + pixel.
  ImagesAndLabels raw{1, 2, 3, {}, {0, 1}};
  for (int i = 0; i < 2; ++i)
    for (int x = 0; x < 2; ++x)
      for (int c = 0; c < 3; ++c) raw.pixels.push_back(static_cast<std::uint8_t>(10 * (c + 1) + 100 * i + x));
  const Dataset rgb = scale_pixels(make_dataset(std::move(raw)), 1.0 / 255);
  const std::vector<double> mean = {0.485, 0.456, 0.406}, sd = {0.229, 0.224, 0.225};
  const Dataset imagenet = normalize_pixels(rgb, mean, sd);
  REQUIRE(imagenet.pixels.per_channel());
  CHECK_THROWS_AS(imagenet.pixels.float_scale(), std::logic_error);  // no one scale to give
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(imagenet.pixels.float_scale(c) == static_cast<float>(1.0 / 255 / sd[c]));
    CHECK(imagenet.pixels.float_offset(c) == static_cast<float>(-mean[c] / sd[c]));
  }
  // Batches apply channel k % 3's map: float(byte) * scale[c] + offset[c].
  std::vector<float> images(12), labels(2);
  const std::uint32_t both[] = {0, 1};
  REQUIRE(gather(imagenet, both, 2, images.data(), labels.data()) == 2);
  for (std::size_t k = 0; k < 12; ++k) {
    const std::size_t c = k % 3;
    CHECK(images[k] == static_cast<float>(imagenet.sample(k / 6)[k % 6]) * imagenet.pixels.float_scale(c) +
                           imagenet.pixels.float_offset(c));
  }
  // One value for every channel, mixed with one per channel.
  const Dataset mixed = normalize_pixels(rgb, std::vector<double>{0.5}, sd);
  CHECK(mixed.pixels.float_offset(2) == static_cast<float>(-0.5 / sd[2]));
  // Per-channel statistics, and normalising by them standardises each channel.
  const PixelStats s = pixel_stats(rgb);
  REQUIRE(s.channel_mean.size() == 3);
  for (std::size_t c = 0; c < 3; ++c) {
    const double expect = (10.0 * (c + 1) * 4 + 200 + 2) / 4 / 255;  // bytes 10(c+1) + {0, 1, 100, 101}
    CHECK(s.channel_mean[c] == doctest::Approx(expect).epsilon(1e-7));
  }
  const PixelStats standard = pixel_stats(normalize_pixels(rgb, s.channel_mean, s.channel_std));
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(standard.channel_mean[c] == doctest::Approx(0.0).scale(1).epsilon(1e-6));
    CHECK(standard.channel_std[c] == doctest::Approx(1.0).epsilon(1e-6));
  }
  // A later scale scales every channel's map; maps survive select and split.
  CHECK(scale_pixels(imagenet, 2).pixels.scale_of(1) == imagenet.pixels.scale_of(1) * 2);
  CHECK(select(imagenet, {1}).pixels.channel_offset == imagenet.pixels.channel_offset);
  CHECK_THROWS_AS(normalize_pixels(rgb, std::vector<double>{0.1, 0.2}, sd), std::invalid_argument);
  CHECK_THROWS_AS(normalize_pixels(rgb, mean, std::vector<double>{0.2, 0.0, 0.2}), std::invalid_argument);
}

TEST_CASE("dataset: scale_pixels and select") {
  const Dataset ds = scale_pixels(numbered(6), 1.0 / 255);
  CHECK(ds.pixels.scale == 1.0 / 255);
  const Dataset picked = select(ds, {4, 1, 4});
  CHECK(picked.labels == std::vector<std::int32_t>{4, 1, 4});
  CHECK(picked.pixels.scale == ds.pixels.scale);
  CHECK(pixels_follow_labels(picked));
  CHECK(picked.store == ds.store);
  CHECK(scale_pixels(picked, 2.0).index == picked.index);
  CHECK_THROWS_AS(select(ds, {6}), std::out_of_range);
}

TEST_CASE("dataset: split sizes follow the cumulative-fraction rule") {
  const Dataset ds = numbered(41935, 1, 1, 1);
  CHECK(sizes(split(ds, {0.8, 0.2}, std::nullopt)) == std::vector<std::size_t>{33548, 8387});
  const Dataset hundred = numbered(100, 1, 1, 1);
  CHECK(sizes(split(hundred, {0.7, 0.2, 0.1}, std::nullopt)) == std::vector<std::size_t>{70, 20, 10});
  CHECK(sizes(split(hundred, {0.57, 0.43}, std::nullopt)) == std::vector<std::size_t>{57, 43});
  CHECK(sizes(split(hundred, {0.5}, std::nullopt)) == std::vector<std::size_t>{50});
  CHECK(sizes(split(numbered(10, 1, 1, 1), {1.0 / 3, 1.0 / 3, 1.0 / 3}, std::nullopt)) ==
        std::vector<std::size_t>{3, 3, 4});
  CHECK_THROWS_AS(split(hundred, {0.8, 0.3}, std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(split(hundred, {-0.1}, std::nullopt), std::invalid_argument);
}

TEST_CASE("dataset: unshuffled split takes consecutive ranges") {
  const auto parts = split(numbered(10), {0.6, 0.4}, std::nullopt);
  CHECK(parts[0].labels == std::vector<std::int32_t>{0, 1, 2, 3, 4, 5});
  CHECK(parts[1].labels == std::vector<std::int32_t>{6, 7, 8, 9});
}

TEST_CASE("dataset: shuffled split is a deterministic permutation") {
  const Dataset ds = numbered(1000);
  const auto a = split(ds, {0.8, 0.2}, 7);
  const auto b = split(ds, {0.8, 0.2}, 7);
  const auto c = split(ds, {0.8, 0.2}, 8);
  CHECK(sizes(a) == std::vector<std::size_t>{800, 200});
  CHECK(all_labels(a) == all_labels(b));
  CHECK(all_labels(a) != all_labels(c));
  std::vector<std::int32_t> labels = all_labels(a);
  CHECK(labels != ds.labels);  // actually shuffled
  std::sort(labels.begin(), labels.end());
  CHECK(labels == ds.labels);  // and a permutation
  CHECK(pixels_follow_labels(a[0]));
  CHECK(pixels_follow_labels(a[1]));
  // The permutation depends on N and the seed only, not on the fractions.
  CHECK(all_labels(split(ds, {0.5, 0.5}, 7)) == all_labels(a));
}

TEST_CASE("dataset: make_dataset checks sizes, and float datasets select like byte ones") {
  CHECK_THROWS_AS(make_dataset({2, 2, 1, std::vector<std::uint8_t>(7), {0, 1}}), std::invalid_argument);
  CHECK_THROWS_AS(make_float_dataset(1, 1, 2, std::vector<float>(3), {0, 1}), std::invalid_argument);
  const Dataset floats = make_float_dataset(1, 1, 2, {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, {0, 1, 2});
  CHECK(floats.has_float_pixels());
  CHECK_FALSE(numbered(2).has_float_pixels());
  const Dataset picked = select(floats, {2, 0});
  CHECK(picked.float_sample(0)[1] == 5.5f);
  CHECK(picked.float_sample(1)[0] == 0.5f);
  CHECK(picked.store == floats.store);
}

TEST_CASE("dataset: select of a split, and split of a split, compose indices") {
  // numbered(): store image i has label i, so image_of(k) == labels[k] while
  // labels are untouched.
  const Dataset ds = numbered(10);
  const auto parts = split(ds, {0.6, 0.4}, std::nullopt);
  CHECK(parts[0].index == nullptr);  // 0..5 is a prefix of the store: no index
  REQUIRE(parts[1].index != nullptr);
  CHECK(*parts[1].index == std::vector<std::uint32_t>{6, 7, 8, 9});
  const Dataset picked = select(parts[1], {3, 0, 3});
  CHECK(*picked.index == std::vector<std::uint32_t>{9, 6, 9});
  CHECK(picked.labels == std::vector<std::int32_t>{9, 6, 9});
  CHECK(picked.sample(0) == ds.sample(9));
  CHECK(select(parts[0], {0, 1, 2}).index == nullptr);  // take 3

  const Dataset big = numbered(1000);
  for (const Dataset& part : split(big, {0.7, 0.3}, 5))
    for (const Dataset& sub : split(select(part, {5, 4, 3, 2, 1, 0, 9, 8, 7, 6}), {0.5, 0.5}, 9)) {
      CHECK(sub.size() == 5);
      CHECK(sub.store == big.store);
      for (std::size_t k = 0; k < sub.size(); ++k) CHECK(sub.image_of(k) == std::size_t(sub.labels[k]));
      CHECK(pixels_follow_labels(sub));
    }
}

TEST_CASE("dataset: a chain of 200 stages over 60,000 samples shares one store") {
  // MNIST-sized: 60,000 images of 28x28; image i has label i % 10 and every
  // pixel i % 251. The reference follows each sample's (image, label) pair.
  const std::size_t n = 60000;
  ImagesAndLabels raw{28, 28, 1, {}, {}};
  raw.pixels.reserve(n * 784);
  for (std::size_t i = 0; i < n; ++i) {
    raw.labels.push_back(static_cast<std::int32_t>(i % 10));
    raw.pixels.insert(raw.pixels.end(), 784, static_cast<std::uint8_t>(i % 251));
  }
  const Dataset base = make_dataset(std::move(raw));
  const std::uint8_t* const bytes = base.store->bytes.data();
  std::vector<std::pair<std::size_t, std::int32_t>> ref;  // (store image, label) per sample
  for (std::size_t i = 0; i < n; ++i) ref.emplace_back(i, base.labels[i]);
  double want_scale = 1.0;

  std::vector<Dataset> stages{base};
  for (int s = 0; s < 200; ++s) {
    const Dataset& in = stages.back();
    decltype(ref) next;
    switch (s % 4) {
      case 0: {  // where label != s % 10 (removes a tenth, then nothing on repeats)
        const int drop = s % 10;
        stages.push_back(filter(in, [&](int label) { return label != drop; }));
        for (const auto& r : ref)
          if (r.second != drop) next.push_back(r);
        break;
      }
      case 1:  // scale by 2 or 1/2 (exact, so the composed scale is known)
        stages.push_back(scale_pixels(in, (s / 4) % 2 ? 2.0 : 0.5));
        want_scale *= (s / 4) % 2 ? 2.0 : 0.5;
        next = ref;
        break;
      case 2:  // swap labels 1 and 2
        stages.push_back(relabel(in, {{1, 2}, {2, 1}}));
        for (auto r : ref) {
          if (r.second == 1 || r.second == 2) r.second = 3 - r.second;
          next.push_back(r);
        }
        break;
      case 3: {  // drop the first 7 samples
        std::vector<std::size_t> keep(in.size() - 7);
        std::iota(keep.begin(), keep.end(), std::size_t{7});
        stages.push_back(select(in, keep));
        next.assign(ref.begin() + 7, ref.end());
        break;
      }
    }
    ref = std::move(next);
  }

  // One store, no pixel copied: every stage points at the loaded bytes.
  CHECK(base.store.use_count() == 202);  // base, its copy in stages, the 200 stages
  std::size_t view_bytes = 0;
  std::set<const void*> indices;
  for (const Dataset& st : stages) {
    CHECK(st.store == base.store);
    CHECK(st.store->bytes.data() == bytes);
    view_bytes += st.labels.capacity() * sizeof(std::int32_t);
    if (st.index && indices.insert(st.index.get()).second) view_bytes += st.index->capacity() * sizeof(std::uint32_t);
  }
  // Per stage at most an index and labels (8 bytes a sample, 470 KB here),
  // against 47 MB of pixels each when stages copied them.
  CHECK(view_bytes <= 201 * n * 8);
  CHECK(indices.size() <= 100);  // scale and relabel reuse their input's index
  MESSAGE("200 stages hold " << view_bytes / 1000000.0 << " MB of indices and labels");

  const Dataset& last = stages.back();
  CHECK(last.pixels.scale == want_scale);
  REQUIRE(last.size() == ref.size());
  for (std::size_t k = 0; k < last.size(); ++k) {
    REQUIRE(last.image_of(k) == ref[k].first);
    REQUIRE(last.labels[k] == ref[k].second);
    REQUIRE(last.sample(k)[783] == ref[k].first % 251);
  }
}

TEST_CASE("locate: the first complete directory wins, raw preferred over .gz") {
  const fs::path root = fs::temp_directory_path() / ("tl_test_locate_" + std::to_string(::getpid()));
  fs::remove_all(root);
  const auto touch = [&](const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream(p.string()).put('x');
  };
  // a/mnist lacks the test labels; b/mnist is complete, partly gzipped.
  touch(root / "a/mnist/train-images-idx3-ubyte");
  touch(root / "a/mnist/train-labels-idx1-ubyte");
  touch(root / "a/mnist/t10k-images-idx3-ubyte");
  touch(root / "b/mnist/train-images-idx3-ubyte");
  touch(root / "b/mnist/train-images-idx3-ubyte.gz");
  touch(root / "b/mnist/train-labels-idx1-ubyte.gz");
  touch(root / "b/mnist/t10k-images-idx3-ubyte");
  touch(root / "b/mnist/t10k-labels-idx1-ubyte.gz");
  const std::vector<std::string> dirs = {(root / "none").string(), (root / "a").string(), (root / "b").string()};

  const auto found = locate_named("mnist", dirs);
  REQUIRE(found);
  CHECK(found->dir == (root / "b/mnist").string());
  CHECK(found->train.images == (root / "b/mnist/train-images-idx3-ubyte").string());
  CHECK(found->train.labels == (root / "b/mnist/train-labels-idx1-ubyte.gz").string());
  CHECK(found->test.images == (root / "b/mnist/t10k-images-idx3-ubyte").string());
  CHECK(found->test.labels == (root / "b/mnist/t10k-labels-idx1-ubyte.gz").string());
  CHECK_FALSE(locate_named("mnist", {dirs[0], dirs[1]}));
  CHECK_FALSE(locate_named("fashion-mnist", dirs));

  const std::string report = describe_search("mnist", dirs);
  CHECK(report.find("looked for mnist/ in:") == 0);
  CHECK(report.find(dirs[0] + ": no directory mnist/") != std::string::npos);
  CHECK(report.find(dirs[1] + ": mnist/ lacks t10k-labels-idx1-ubyte[.gz]") != std::string::npos);
  CHECK(report.find(dirs[2] + ": mnist/ is complete") != std::string::npos);
  fs::remove_all(root);
}

TEST_CASE("locate: default search dirs, TL_DATA_PATH first") {
  const char* old = std::getenv("TL_DATA_PATH");
  const std::string saved = old ? old : "";
  ::setenv("TL_DATA_PATH", "/x::/y", 1);
  const auto dirs = default_search_dirs("/s");
  REQUIRE(dirs.size() == 7);
  CHECK(dirs[0] == "/x");
  CHECK(dirs[1] == "/y");
  CHECK(dirs[2] == "/s/data");
  CHECK(dirs[3] == "/s/../data");
  CHECK(dirs[4] == "/s/../../data");
  CHECK(dirs[5] == (fs::current_path() / "data").string());
  CHECK(dirs[6] == "/usr/share/datasets");
  ::unsetenv("TL_DATA_PATH");
  CHECK(default_search_dirs("")[0] == "./data");
  if (old) ::setenv("TL_DATA_PATH", saved.c_str(), 1);
}
