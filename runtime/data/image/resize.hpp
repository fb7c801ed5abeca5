// Resizing and colour conversion, the way PIL does them, so an image tl reads
// has the bytes PIL (and torchvision's ImageFolder) would give:
// - resize: PIL's Image.resize(size, Image.BILINEAR): a triangle filter whose
//   support widens with the reduction factor (antialiased when shrinking),
//   applied horizontally then vertically with PIL's 22-bit fixed-point
//   coefficients and rounding. tests/images checks it against python3-pil.
// - gray: PIL's convert("L"), L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16.
// - RGB from gray: the gray value in all three channels.
#pragma once

#include <string>

#include "runtime/data/image/image.hpp"

namespace tl::data::image {

/// `in` resized to height x width (returned unchanged when it has that size).
Image resize_bilinear(Image in, int height, int width);

/// `in` with 1 (gray) or 3 (RGB) channels.
Image convert_channels(Image in, int channels);

/// The image file at `path` as a model reads it: decoded (decode.hpp),
/// converted to `channels`, then resized to height x width. Throws DataError.
Image read_image(const std::string& path, int height, int width, int channels);

}  // namespace tl::data::image
