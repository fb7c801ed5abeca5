// Format sniffing and file reading for the image decoders; see decode.hpp.
#include "runtime/data/image/decode.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <sys/stat.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/regular_file.hpp"

namespace tl::data::image {

namespace {

constexpr const char* supported = "tl reads PNG, JPEG and BMP images";

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

/// An open image file and its size.
struct OpenFile {
  std::unique_ptr<std::FILE, FileCloser> file;
  std::uint64_t size = 0;
};

OpenFile open_file(const std::string& path) {
  require_regular_file(path, "image");
  OpenFile f;
  f.file.reset(std::fopen(path.c_str(), "rb"));
  if (!f.file)
    throw DataError(path, std::nullopt, fmt::format("cannot open the image: {}", std::strerror(errno)),
                    errno == EACCES ? "make the file readable (chmod a+r)" : "check the path");
  struct stat st {};
  if (fstat(fileno(f.file.get()), &st) == 0) f.size = static_cast<std::uint64_t>(st.st_size);
  return f;
}

/// Up to `limit` bytes from the start of the file.
std::vector<std::uint8_t> read_prefix(OpenFile& f, const std::string& path, std::uint64_t limit) {
  const std::uint64_t want = std::min(limit, f.size);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(want));
  const std::size_t got = std::fread(bytes.data(), 1, bytes.size(), f.file.get());
  if (got < bytes.size() && std::ferror(f.file.get()))
    throw DataError(path, got, fmt::format("cannot read the image: {}", std::strerror(errno)));
  bytes.resize(got);
  return bytes;
}

Format sniff(const std::uint8_t* data, std::size_t size, const std::string& name) {
  static const std::uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= sizeof png && std::memcmp(data, png, sizeof png) == 0) return Format::Png;
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return Format::Jpeg;
  if (size >= 2 && data[0] == 'B' && data[1] == 'M') return Format::Bmp;
  if (size == 0)
    throw DataError(name, std::nullopt, "the file is empty (0 bytes), not an image",
                    "an interrupted copy? copy the file again, or remove it");
  throw DataError(name, 0, "not a PNG, JPEG or BMP image (its first bytes are none of theirs)",
                  std::string(supported) + "; convert the file, or remove it from the folder");
}

}  // namespace

const char* format_name(Format format) {
  switch (format) {
    case Format::Png: return "PNG";
    case Format::Jpeg: return "JPEG";
    case Format::Bmp: return "BMP";
  }
  return "?";
}

bool has_image_extension(const std::string& name) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp";
}

void check_dimensions(long long width, long long height, const std::string& name) {
  if (width < 1 || height < 1)
    throw DataError(name, std::nullopt, fmt::format("the image claims to be {}x{} pixels", width, height),
                    "the file is damaged; remove it");
  if (width > max_side || height > max_side || width * height > max_pixels)
    throw DataError(name, std::nullopt,
                    fmt::format("the image claims to be {}x{} pixels; tl decodes images of up to {} pixels a side and "
                                "{} million pixels",
                                width, height, max_side, max_pixels >> 20),
                    "scale the image down first, or remove it if it is not meant to be that large");
}

Header probe(const std::string& path) {
  OpenFile f = open_file(path);
  // The PNG and BMP headers (with a BMP's palette) are in the first 4 KiB; a
  // JPEG's frame header follows its metadata segments, so a JPEG is read
  // further when the first 4 KiB don't hold it.
  std::vector<std::uint8_t> bytes = read_prefix(f, path, 4096);
  const Format format = sniff(bytes.data(), bytes.size(), path);
  switch (format) {
    case Format::Png: return probe_png(bytes.data(), bytes.size(), path);
    case Format::Bmp: return probe_bmp(bytes.data(), bytes.size(), path);
    case Format::Jpeg:
      if (bytes.size() < f.size) {
        try {
          return probe_jpeg(bytes.data(), bytes.size(), path);
        } catch (const DataError&) {
          std::rewind(f.file.get());
          bytes = read_prefix(f, path, max_file_bytes);
        }
      }
      return probe_jpeg(bytes.data(), bytes.size(), path);
  }
  return {};
}

Image decode(const std::string& path) {
  OpenFile f = open_file(path);
  if (f.size > max_file_bytes)
    throw DataError(path, std::nullopt,
                    fmt::format("the file is {:.1f} MiB; tl reads image files of up to {} MiB",
                                static_cast<double>(f.size) / (1 << 20), max_file_bytes >> 20),
                    "is it really an image? scale it down, or remove it from the folder");
  const std::vector<std::uint8_t> bytes = read_prefix(f, path, f.size);
  return decode_bytes(bytes.data(), bytes.size(), path);
}

Image decode_bytes(const std::uint8_t* data, std::size_t size, const std::string& name) {
  switch (sniff(data, size, name)) {
    case Format::Png: return decode_png(data, size, name);
    case Format::Jpeg: return decode_jpeg(data, size, name);
    case Format::Bmp: return decode_bmp(data, size, name);
  }
  return {};
}

}  // namespace tl::data::image
