// PNG decoding with libspng: every colour type and bit depth becomes 8-bit
// gray (gray and gray-alpha files) or RGB (the others), alpha dropped; see
// decode.hpp.
#include <memory>

#include <fmt/format.h>
#include <spng.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image/decode.hpp"

namespace tl::data::image {

namespace {

struct ContextFree {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using Context = std::unique_ptr<spng_ctx, ContextFree>;

[[noreturn]] void fail(const std::string& name, int err) {
  throw DataError(name, std::nullopt, fmt::format("the PNG data is damaged: {}", spng_strerror(err)),
                  "the file is truncated or corrupt; copy it again, or remove it");
}

/// A context over the buffer with its header read and checked.
Context open(const std::uint8_t* data, std::size_t size, const std::string& name, spng_ihdr& ihdr) {
  Context ctx(spng_ctx_new(0));
  if (!ctx) throw std::bad_alloc();
  // Metadata chunks are bounded so a file cannot make libspng hold more
  // than 64 MiB of them; the image itself is bounded by check_dimensions.
  spng_set_chunk_limits(ctx.get(), std::size_t{1} << 24, std::size_t{1} << 26);
  spng_set_image_limits(ctx.get(), max_side, max_side);
  if (int err = spng_set_png_buffer(ctx.get(), data, size)) fail(name, err);
  if (int err = spng_get_ihdr(ctx.get(), &ihdr)) {
    if (err == SPNG_EWIDTH || err == SPNG_EHEIGHT || err == SPNG_EUSER_WIDTH || err == SPNG_EUSER_HEIGHT)
      throw DataError(name, 16, fmt::format("the PNG header claims an image larger than tl decodes ({} pixels a side)", max_side),
                      "scale the image down first, or remove it");
    fail(name, err);
  }
  check_dimensions(ihdr.width, ihdr.height, name);
  return ctx;
}

int channels_of(const spng_ihdr& ihdr) {
  return ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE || ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA ? 1 : 3;
}

}  // namespace

Header probe_png(const std::uint8_t* data, std::size_t size, const std::string& name) {
  spng_ihdr ihdr{};
  open(data, size, name, ihdr);
  return {Format::Png, static_cast<int>(ihdr.height), static_cast<int>(ihdr.width), channels_of(ihdr)};
}

Image decode_png(const std::uint8_t* data, std::size_t size, const std::string& name) {
  spng_ihdr ihdr{};
  Context ctx = open(data, size, name, ihdr);
  // RGBA8 is the one output format libspng gives for every colour type and
  // bit depth (16-bit samples keep their high byte); the channels wanted are
  // taken from it.
  std::size_t bytes = 0;
  if (int err = spng_decoded_image_size(ctx.get(), SPNG_FMT_RGBA8, &bytes)) fail(name, err);
  std::vector<std::uint8_t> rgba(bytes);
  if (int err = spng_decode_image(ctx.get(), rgba.data(), rgba.size(), SPNG_FMT_RGBA8, 0)) fail(name, err);
  Image out;
  out.height = static_cast<int>(ihdr.height);
  out.width = static_cast<int>(ihdr.width);
  out.channels = channels_of(ihdr);
  const std::size_t pixels = std::size_t(out.height) * std::size_t(out.width);
  out.pixels.resize(pixels * std::size_t(out.channels));
  for (std::size_t p = 0; p < pixels; ++p)
    for (int c = 0; c < out.channels; ++c) out.pixels[p * std::size_t(out.channels) + std::size_t(c)] = rgba[p * 4 + std::size_t(c)];
  return out;
}

}  // namespace tl::data::image
