// BMP decoding with stb_image (Debian's libstb): 1-32 bit, palettes, RLE;
// to 8-bit gray or RGB, alpha dropped; see decode.hpp.
#include <climits>
#include <memory>

#include <fmt/format.h>
#include <stb/stb_image.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image/decode.hpp"

namespace tl::data::image {

namespace {

struct StbFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

[[noreturn]] void fail(const std::string& name) {
  const char* reason = stbi_failure_reason();
  throw DataError(name, std::nullopt, fmt::format("the BMP data is damaged: {}", reason ? reason : "unknown error"),
                  "the file is truncated or corrupt, or a BMP variant tl does not read; convert it to PNG, or remove it");
}

std::uint32_t le32(const std::uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t(p[3]) << 24; }

/// Whether a BMP of at most 8 bits per pixel has a palette of grays only
/// (stb_image expands every palette to RGB; such a file is a gray image, as
/// PIL also opens it).
bool gray_palette(const std::uint8_t* data, std::size_t size) {
  if (size < 54) return false;
  const std::uint32_t header = le32(data + 14);
  const unsigned bits = header == 12 ? data[24] | data[25] << 8 : data[28] | data[29] << 8;
  if (bits > 8 || bits == 0) return false;
  std::uint32_t colors = header >= 40 ? le32(data + 46) : 0;
  if (colors == 0 || colors > (1u << bits)) colors = 1u << bits;
  const std::size_t entry = header == 12 ? 3 : 4;
  const std::size_t start = 14 + std::size_t(header);
  if (header < 12 || start + colors * entry > size) return false;
  for (std::uint32_t i = 0; i < colors; ++i) {
    const std::uint8_t* bgr = data + start + i * entry;
    if (bgr[0] != bgr[1] || bgr[1] != bgr[2]) return false;
  }
  return true;
}

/// The bytes a BMP's pixels take past its data offset, from its header:
/// every row padded to 4 bytes. Requires a complete header (check_layout).
std::uint64_t pixel_bytes(const std::uint8_t* data) {
  const bool core = le32(data + 14) == 12;  // OS/2 BITMAPCOREHEADER: 16-bit sizes
  const std::int64_t width = core ? (data[18] | data[19] << 8) : static_cast<std::int32_t>(le32(data + 18));
  const std::int64_t height = core ? (data[20] | data[21] << 8) : static_cast<std::int32_t>(le32(data + 22));
  const unsigned bits = core ? (data[24] | data[25] << 8) : (data[28] | data[29] << 8);
  const std::uint64_t row = (std::uint64_t(bits) * std::uint64_t(width < 0 ? -width : width) + 31) / 32 * 4;
  return row * std::uint64_t(height < 0 ? -height : height);
}

/// stb_image reads past a BMP's end as zeros and takes any compression code
/// but RLE's as uncompressed pixels, so a few bytes could claim (and cost) a
/// huge image. Refused here: a header cut short, a compression other than
/// none or bit fields, pixel data shorter than the header says.
void check_layout(const std::uint8_t* data, std::size_t size, const std::string& name) {
  const auto truncated = [&](const std::string& what) {
    return DataError(name, size, "the BMP file ends early: " + what, "the file is truncated; copy it again, or remove it");
  };
  if (size < 18) throw truncated("within its header");
  const std::uint32_t header = le32(data + 14);
  if (header != 12 && header < 40) fail(name);
  if (size < 14 + std::uint64_t(header) || size < 26) throw truncated("within its header");
  if (header >= 40) {
    const std::uint32_t compression = le32(data + 30);
    if (compression != 0 && compression != 3)
      throw DataError(name, 30,
                      compression == 1 || compression == 2
                          ? std::string("a run-length encoded (RLE) BMP: tl reads uncompressed BMPs")
                          : fmt::format("BMP compression {} is not one tl reads (uncompressed only)", compression),
                      "convert it to PNG, or remove it");
  }
  const std::uint64_t offset = le32(data + 10), needed = pixel_bytes(data);
  if (offset + needed > size)
    throw truncated(fmt::format("its pixels need {} bytes from byte {}, but the file has {} bytes", needed, offset, size));
}

int channels_of(int components, bool gray) { return components <= 2 || gray ? 1 : 3; }

Header header_of(const std::uint8_t* data, std::size_t size, const std::string& name) {
  if (size > INT_MAX) fail(name);
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &comp)) fail(name);
  check_dimensions(w, h, name);
  return {Format::Bmp, h, w, channels_of(comp, gray_palette(data, size))};
}

}  // namespace

Header probe_bmp(const std::uint8_t* data, std::size_t size, const std::string& name) {
  return header_of(data, size, name);
}

Image decode_bmp(const std::uint8_t* data, std::size_t size, const std::string& name) {
  const Header header = header_of(data, size, name);
  check_layout(data, size, name);
  int w = 0, h = 0, comp = 0;
  std::unique_ptr<stbi_uc, StbFree> decoded(stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &comp, 0));
  if (!decoded || w != header.width || h != header.height) fail(name);
  Image out;
  out.height = h;
  out.width = w;
  out.channels = header.channels;
  const std::size_t pixels = std::size_t(w) * std::size_t(h);
  out.pixels.resize(pixels * std::size_t(out.channels));
  for (std::size_t p = 0; p < pixels; ++p)
    for (int c = 0; c < out.channels; ++c)
      out.pixels[p * std::size_t(out.channels) + std::size_t(c)] = decoded.get()[p * std::size_t(comp) + std::size_t(c)];
  return out;
}

}  // namespace tl::data::image
