// BatchBuffers: the host buffers one batch is gathered into and the feeds
// that point at them, shared by training, evaluation and prediction.
#pragma once

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
/// augmentations change the gathered bytes; with noise among them the batch
/// is mapped to floats here and fed as floats.
struct BatchBuffers {
  Tensor images, labels;
  std::vector<std::uint8_t> bytes;
  exec::ImageBytes image_bytes;
  exec::Feeds fill(const data::Dataset& ds, const std::uint32_t* indices, std::size_t count,
                   const data::AugmentDraw* draw = nullptr) {
    std::vector<std::size_t> image_shape = {count};
    for (const std::int64_t d : ds.sample_dims()) image_shape.push_back(static_cast<std::size_t>(d));
    if (labels.shape().size() != 1 || labels.shape()[0] != count) labels = Tensor::from_shape({count});
    if (ds.has_float_pixels()) {
      if (images.shape() != image_shape) images = Tensor::from_shape(image_shape);
      data::gather(ds, indices, count, images.data(), labels.data());
      return {&images, &labels};
    }
    bytes.resize(count * ds.sample_bytes());
    data::gather_bytes(ds, indices, count, bytes.data(), labels.data());
    if (draw && ds.augment) {
      data::augment_bytes(*ds.augment, *draw, indices, count, ds.height, ds.width, ds.channels, bytes.data());
      if (data::has_noise(*ds.augment)) {
        if (images.shape() != image_shape) images = Tensor::from_shape(image_shape);
        data::map_bytes(bytes.data(), bytes.size(), ds.pixels, images.data());
        data::add_noise(*ds.augment, *draw, indices, count, ds.sample_bytes(), images.data());
        return {&images, &labels};
      }
    }
    image_bytes = {bytes.data(), image_shape, ds.pixels.float_scale(), ds.pixels.float_offset()};
    return {nullptr, &labels, &image_bytes};
  }
};

}  // namespace tl::train
