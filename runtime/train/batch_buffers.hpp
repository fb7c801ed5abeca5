// BatchBuffers: the host buffers one batch is gathered into and the feeds
// that point at them, shared by training, evaluation and prediction.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/data/augment.hpp"
#include "runtime/data/batches.hpp"
#include "runtime/data/dataset.hpp"
#include "runtime/exec/executor.hpp"

namespace tl::train {

/// Reusable host buffers for one batch: images (B,H,W,C) and labels (B).
/// A byte dataset's images are fed as its bytes and pixel map, so the
/// executor maps them where it reads them (the JIT inside its first kernel); host
/// float images are fed as floats. With `draw` (training) the dataset's
/// augmentations change the gathered bytes; with noise among them, or with a
/// pixel map per channel, the batch is mapped to floats here and fed as
/// floats. Samples a lazy store skips
/// (bad files, on_error = skip) are left out: `count` says how many remain.
struct BatchBuffers {
  Tensor images, labels;
  std::vector<std::uint8_t> bytes;
  std::vector<float> label_values;
  std::vector<std::uint32_t> kept;  // the samples gathered (a lazy store may skip bad files)
  exec::ImageBytes image_bytes;
  /// The samples of the last fill(): count, less those a lazy store skipped.
  std::size_t count = 0;

  exec::Feeds fill(const data::Dataset& ds, const std::uint32_t* indices, std::size_t n,
                   const data::AugmentDraw* draw = nullptr) {
    label_values.resize(n);
    kept.resize(n);
    if (ds.has_float_pixels()) {
      if (images.shape() != shape(ds, n)) images = Tensor::from_shape(shape(ds, n));  // host floats: never skipped
      count = data::gather(ds, indices, n, images.data(), label_values.data(), kept.data());
      set_labels();
      return {&images, &labels};
    }
    bytes.resize(n * ds.sample_bytes());
    count = data::gather_bytes(ds, indices, n, bytes.data(), label_values.data(), kept.data());
    bytes.resize(count * ds.sample_bytes());
    set_labels();
    const std::vector<std::size_t> image_shape = shape(ds, count);
    if (draw && ds.augment)
      data::augment_bytes(*ds.augment, *draw, kept.data(), count, ds.height, ds.width, ds.channels, bytes.data());
    const bool noise = draw && ds.augment && data::has_noise(*ds.augment);
    if (noise || ds.pixels.per_channel()) {  // the executor maps bytes with one scale and offset
      if (images.shape() != image_shape) images = Tensor::from_shape(image_shape);
      data::map_bytes(bytes.data(), bytes.size(), ds.pixels, static_cast<std::size_t>(ds.channels), images.data());
      if (noise) data::add_noise(*ds.augment, *draw, kept.data(), count, ds.sample_bytes(), images.data());
      return {&images, &labels};
    }
    image_bytes = {bytes.data(), image_shape, ds.pixels.float_scale(), ds.pixels.float_offset()};
    return {nullptr, &labels, &image_bytes};
  }

 private:
  static std::vector<std::size_t> shape(const data::Dataset& ds, std::size_t n) {
    std::vector<std::size_t> s = {n};
    for (const std::int64_t d : ds.sample_dims()) s.push_back(static_cast<std::size_t>(d));
    return s;
  }
  void set_labels() {
    if (labels.shape().size() != 1 || labels.shape()[0] != count) labels = Tensor::from_shape({count});
    std::copy_n(label_values.begin(), count, labels.data());
  }
};

}  // namespace tl::train
