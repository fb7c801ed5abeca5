// Data augmentation (`| augment { ... }`): random changes to training
// samples, drawn from Philox keyed by (seed, stream "augment", epoch, sample
// index in the dataset), so a sample's augmentation in an epoch does not
// depend on the batch it lands in, the thread count or a resume. Applied to
// a batch's bytes (HWC) after they are gathered, while training only:
//   flip        horizontal and/or vertical, each with probability 1/2
//   crop P      zero-pad P pixels on each side, crop a random H x W window
//               (torchvision's RandomCrop(size, padding=P))
//   translate F shift by a whole number of pixels up to F x the side, each
//               axis, zeros fill
//   rotate D    rotate by an angle uniform in [-D, D] degrees about the
//               centre, bilinear, zeros fill
//   brightness F  add a value uniform in [-F, F] x 255 to every byte (clamped)
//   contrast F  per channel, (v - mean) x c + mean with c uniform in
//               [1 - F, 1 + F] (clamped), as Keras' RandomContrast
//   noise S     gaussian noise of standard deviation S added to the values
//               the model sees (after the pixel map): see add_noise
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/check/experiment.hpp"

namespace tl::data {

/// Which epoch of which training is being drawn for.
struct AugmentDraw {
  std::uint64_t seed = 0;
  std::uint32_t epoch = 0;
};

/// Applies every augmentation but noise to `count` samples of h x w x c bytes
/// at `bytes`, sample i being dataset sample indices[i].
void augment_bytes(const std::vector<check::AugmentSpec>& specs, const AugmentDraw& draw, const std::uint32_t* indices,
                   std::size_t count, int h, int w, int c, std::uint8_t* bytes);

/// Adds the noise augmentations to `count` samples of `sample` floats.
void add_noise(const std::vector<check::AugmentSpec>& specs, const AugmentDraw& draw, const std::uint32_t* indices,
               std::size_t count, std::size_t sample, float* values);

/// Whether `specs` hold a noise augmentation (the batch is then fed as floats).
bool has_noise(const std::vector<check::AugmentSpec>& specs);

}  // namespace tl::data
