// Reading image files: the format is told by the file's first bytes (not its
// name); PNG goes to libspng, JPEG to libjpeg-turbo, BMP to stb_image. Every
// failure is a DataError naming the file, what is wrong and what to do: not
// an image, truncated or damaged data, dimensions past image::max_side /
// max_pixels, a CMYK JPEG. Nothing is allocated from a size a file claims
// before it is checked against those limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/data/image/image.hpp"

namespace tl::data::image {

/// The extensions tl treats as images in a folder: .png .jpg .jpeg .bmp (any case).
bool has_image_extension(const std::string& name);

/// The header of the file at `path`, reading only as much of it as the
/// header needs. Throws DataError.
Header probe(const std::string& path);

/// Decodes the file at `path`. Throws DataError.
Image decode(const std::string& path);

/// Decodes `size` bytes of an image file; `name` is used in errors.
Image decode_bytes(const std::uint8_t* data, std::size_t size, const std::string& name);

// One decoder per format (decode_png.cpp, decode_jpeg.cpp, decode_bmp.cpp),
// each given the whole file. They check the header against the limits.
Header probe_png(const std::uint8_t* data, std::size_t size, const std::string& name);
Image decode_png(const std::uint8_t* data, std::size_t size, const std::string& name);
Header probe_jpeg(const std::uint8_t* data, std::size_t size, const std::string& name);
Image decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& name);
Header probe_bmp(const std::uint8_t* data, std::size_t size, const std::string& name);
Image decode_bmp(const std::uint8_t* data, std::size_t size, const std::string& name);

/// Throws DataError naming `name` when width x height is past the limits.
void check_dimensions(long long width, long long height, const std::string& name);

}  // namespace tl::data::image
