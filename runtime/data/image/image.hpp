// Decoded images and the facts a file's header gives before decoding. Pixels
// are 8-bit, interleaved (HWC), 1 channel (gray) or 3 (RGB); alpha is dropped
// as PIL's convert("RGB") / convert("L") drop it, and 16-bit samples keep
// their high byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tl::data::image {

enum class Format { Png, Jpeg, Bmp };
const char* format_name(Format format);  // "PNG", "JPEG", "BMP"

/// What a file's header says, read without decoding the pixels.
struct Header {
  Format format = Format::Png;
  int height = 0, width = 0;
  int channels = 0;  ///< what decode() gives: 1 for gray (with or without alpha), 3 otherwise
};

struct Image {
  int height = 0, width = 0, channels = 0;
  std::vector<std::uint8_t> pixels;  ///< height * width * channels bytes, HWC
};

/// Largest image tl decodes: a side of at most max_side pixels and at most
/// max_pixels pixels in all (256 MiB of RGB). A file claiming more is an
/// error before anything is allocated.
inline constexpr int max_side = 65535;
inline constexpr std::int64_t max_pixels = std::int64_t{1} << 26;
/// Largest image file tl reads whole.
inline constexpr std::uint64_t max_file_bytes = std::uint64_t{1} << 29;

}  // namespace tl::data::image
