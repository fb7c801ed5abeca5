// JPEG decoding with libjpeg-turbo (the library PIL uses, with the same
// defaults: islow DCT, fancy upsampling), to 8-bit gray or RGB; see decode.hpp.
// libjpeg reports errors through a callback that must not return: it longjmps
// back here, where they become DataErrors.
#include <csetjmp>
#include <cstdio>

#include <fmt/format.h>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>
#include <jerror.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image/decode.hpp"

namespace tl::data::image {

namespace {

/// Progressive files with more scans than this are refused: each scan
/// re-walks the whole image, so a few KB of scans could take minutes
/// (libjpeg-turbo's own tools use the same limit).
constexpr int max_scans = 500;

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  bool truncated = false;
  bool too_many_scans = false;
};

void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  // Warnings (level -1) are damaged data libjpeg works around; only a
  // premature end is an error, as a truncated file is for PIL.
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) reinterpret_cast<ErrorManager*>(cinfo->err)->truncated = true;
}

void on_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->progressive_mode && d->input_scan_number > max_scans) {
    reinterpret_cast<ErrorManager*>(cinfo->err)->too_many_scans = true;
    std::longjmp(reinterpret_cast<ErrorManager*>(cinfo->err)->jump, 1);
  }
}

/// Decodes (or, with `header_only`, reads the header of) a JPEG. Plain C
/// objects only between setjmp and the decoder's end, except `out`, which
/// outlives the jump.
bool run(const std::uint8_t* data, std::size_t size, const std::string& name, bool header_only, Header& header,
         Image& out, std::string& error) {
  jpeg_decompress_struct cinfo{};
  ErrorManager err;
  jpeg_progress_mgr progress{};
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  if (setjmp(err.jump)) {
    error = err.too_many_scans ? fmt::format("the progressive JPEG has more than {} scans", max_scans) : err.message;
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = std::size_t{1} << 30;
  progress.progress_monitor = on_progress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  if (err.truncated) {
    error = "the file ends before the JPEG header does";
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    error = "CMYK";
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  const long long width = cinfo.image_width, height = cinfo.image_height;
  if (width > max_side || height > max_side || width * height > max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    check_dimensions(width, height, name);  // throws
  }
  const bool gray = cinfo.num_components == 1;
  header = {Format::Jpeg, static_cast<int>(cinfo.image_height), static_cast<int>(cinfo.image_width), gray ? 1 : 3};
  if (header_only) {
    jpeg_destroy_decompress(&cinfo);
    return true;
  }
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  out.height = static_cast<int>(cinfo.output_height);
  out.width = static_cast<int>(cinfo.output_width);
  out.channels = cinfo.output_components;
  const std::size_t row = std::size_t(out.width) * std::size_t(out.channels);
  out.pixels.resize(row * std::size_t(out.height));
  // A truncated file is given up at once: libjpeg would otherwise fill the
  // rest of a (possibly huge) claimed image with gray.
  while (cinfo.output_scanline < cinfo.output_height && !err.truncated) {
    JSAMPROW rows[1] = {out.pixels.data() + row * cinfo.output_scanline};
    jpeg_read_scanlines(&cinfo, rows, 1);
  }
  if (err.truncated) {
    error = "the JPEG data ends early (the file is truncated)";
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

[[noreturn]] void fail(const std::string& name, const std::string& error) {
  if (error == "CMYK")
    throw DataError(name, std::nullopt, "a CMYK JPEG: tl reads gray and RGB JPEGs",
                    "convert it to RGB (e.g. convert in.jpg -colorspace sRGB out.jpg), or remove it");
  throw DataError(name, std::nullopt, "the JPEG data is damaged: " + error,
                  "the file is truncated or corrupt; copy it again, or remove it");
}

}  // namespace

Header probe_jpeg(const std::uint8_t* data, std::size_t size, const std::string& name) {
  Header header;
  Image unused;
  std::string error;
  if (!run(data, size, name, true, header, unused, error)) fail(name, error);
  return header;
}

Image decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& name) {
  Header header;
  Image out;
  std::string error;
  if (!run(data, size, name, false, header, out, error)) fail(name, error);
  return out;
}

}  // namespace tl::data::image
