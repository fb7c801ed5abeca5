// IDX reading and writing; see idx.hpp for the format and the guarantees.
#include "runtime/data/idx.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <sys/stat.h>
#include <zlib.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/regular_file.hpp"

namespace tl::data {

namespace {

constexpr const char* refetch_hint = "the file looks damaged or incomplete (an interrupted download?); fetch it again";

/// A file's content as a byte stream: raw bytes, or the decompressed bytes of
/// a gzip file (one or more concatenated members). read() is short only at the
/// end of the content; end_note() then says whether the end was a clean one.
class ByteSource {
 public:
  explicit ByteSource(const std::string& path) : path_(path) {
    require_regular_file(path, "IDX file");  // before open(): a FIFO would block it
    file_.reset(std::fopen(path.c_str(), "rb"));
    if (!file_)
      throw DataError(path, std::nullopt, fmt::format("cannot open the file: {}", std::strerror(errno)),
                      "check the path and that the dataset has been downloaded");
    struct stat st {};
    if (fstat(fileno(file_.get()), &st) == 0) {
      if (S_ISDIR(st.st_mode))
        throw DataError(path, std::nullopt, "this is a directory, not an IDX file",
                        "name one of the IDX files inside it");
      if (S_ISREG(st.st_mode)) size_ = static_cast<std::uint64_t>(st.st_size);
    }
    unsigned char magic[2] = {0, 0};
    const std::size_t got = std::fread(magic, 1, 2, file_.get());
    gzip_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (std::fseek(file_.get(), 0, SEEK_SET) != 0)
      throw DataError(path, std::nullopt, "cannot rewind the file; IDX files must be regular files",
                      "copy the data to a regular file first");
    if (gzip_) {
      in_.resize(std::size_t{1} << 18);
      // 16 + MAX_WBITS: expect a gzip wrapper (and verify its CRC and length).
      if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
    }
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  ~ByteSource() {
    if (gzip_) inflateEnd(&z_);
  }

  /// The content's size when it is known before reading: raw regular files.
  std::optional<std::uint64_t> known_size() const { return gzip_ ? std::nullopt : size_; }
  /// Content bytes consumed so far (the offset of the next byte).
  std::uint64_t position() const { return position_; }
  /// Empty after a clean end of content, else why the content stopped.
  const std::string& end_note() const { return end_note_; }

  std::size_t read(std::uint8_t* dst, std::size_t n) {
    const std::size_t got = gzip_ ? read_gzip(dst, n) : read_raw(dst, n);
    position_ += got;
    return got;
  }

 private:
  std::size_t read_raw(std::uint8_t* dst, std::size_t n) {
    const std::size_t got = std::fread(dst, 1, n, file_.get());
    if (got < n && std::ferror(file_.get())) throw_io_error();
    return got;
  }

  std::size_t read_gzip(std::uint8_t* dst, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      if (z_.avail_in == 0 && !refill()) {
        if (!member_done_) end_note_ = "the gzip stream itself is cut off";
        break;
      }
      if (member_done_) {
        // More input after a complete member: either another member (gzip
        // allows concatenation) or bytes that are not gzip at all.
        if (z_.next_in[0] != 0x1f)
          throw DataError(path_, std::nullopt,
                          fmt::format("non-gzip bytes follow the end of the gzip stream (at compressed byte {})",
                                      compressed_consumed()),
                          refetch_hint);
        inflateReset(&z_);
        member_done_ = false;
      }
      const std::size_t want = std::min<std::size_t>(n - got, UINT_MAX);
      z_.next_out = dst + got;
      z_.avail_out = static_cast<uInt>(want);
      const int status = inflate(&z_, Z_NO_FLUSH);
      got += want - z_.avail_out;
      if (status == Z_STREAM_END) {
        member_done_ = true;
      } else if (status != Z_OK && status != Z_BUF_ERROR) {
        throw DataError(path_, position_ + got,
                        fmt::format("the gzip data is corrupt ({})", z_.msg ? z_.msg : zError(status)), refetch_hint);
      }
    }
    return got;
  }

  bool refill() {
    const std::size_t got = std::fread(in_.data(), 1, in_.size(), file_.get());
    if (got == 0 && std::ferror(file_.get())) throw_io_error();
    compressed_read_ += got;
    z_.next_in = in_.data();
    z_.avail_in = static_cast<uInt>(got);
    return got > 0;
  }

  std::uint64_t compressed_consumed() const { return compressed_read_ - z_.avail_in; }

  [[noreturn]] void throw_io_error() const {
    throw DataError(path_, position_, fmt::format("read error: {}", std::strerror(errno)),
                    "check the disk or the network file system the file is on");
  }

  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_{nullptr, &std::fclose};
  bool gzip_ = false;
  std::optional<std::uint64_t> size_;
  std::uint64_t position_ = 0;
  std::string end_note_;
  // gzip only
  z_stream z_{};
  std::vector<unsigned char> in_;
  std::uint64_t compressed_read_ = 0;
  bool member_done_ = false;
};

const char* type_name(std::uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default: return "not a valid IDX type";
  }
}

std::string shape_text(const std::vector<std::uint32_t>& dims) {
  return fmt::format("{}", fmt::join(dims, " x "));
}

std::string allowed_text(std::initializer_list<int> allowed) {
  return fmt::format("{}", fmt::join(allowed, " or "));
}

/// The content ended at `end`, short of `expected_end` (the end of `what`).
[[noreturn]] void throw_truncated(const std::string& path, std::uint64_t end, std::uint64_t expected_end,
                                  const std::string& what, const std::string& note) {
  std::string message = fmt::format("the file ends here, inside the {}: expected {} bytes in total, {} are missing",
                                    what, expected_end, expected_end - end);
  if (!note.empty()) message += fmt::format(" ({})", note);
  throw DataError(path, end, message, refetch_hint);
}

[[noreturn]] void throw_trailing(const std::string& path, std::uint64_t data_end, std::uint64_t extra,
                                 const std::string& what) {
  throw DataError(path, data_end, fmt::format("{} unexpected bytes follow the {}", extra, what),
                  "the header and the data disagree; the file is corrupt or the header is wrong");
}

/// Reads the 4-byte magic and the dims, checking everything the header alone
/// can tell. Returns the dims; the source is left at the first data byte.
std::vector<std::uint32_t> read_header(const std::string& path, ByteSource& src,
                                       std::initializer_list<int> allowed_dims) {
  // 1. Magic: 00 00 <type> <ndim>.
  std::uint8_t magic[4];
  if (src.read(magic, 4) < 4) throw_truncated(path, src.position(), 4, "4-byte IDX magic number", src.end_note());
  if (magic[0] != 0 || magic[1] != 0)
    throw DataError(path, 0,
                    fmt::format("not an IDX file: it starts with bytes {:02x} {:02x} {:02x} {:02x}, IDX files start "
                                "with 00 00 08 <number of dimensions>",
                                magic[0], magic[1], magic[2], magic[3]),
                    "check that this is an MNIST-style IDX file (raw or gzipped), not another format");
  if (magic[2] != 0x08)
    throw DataError(path, 2,
                    fmt::format("unsupported IDX element type code 0x{:02x} ({}); only 0x08 (unsigned byte) is "
                                "supported",
                                magic[2], type_name(magic[2])),
                    "convert the data to unsigned bytes (0..255), the type MNIST-style datasets use");
  const int ndim = magic[3];
  const bool any = allowed_dims.size() == 1 && *allowed_dims.begin() == 0;
  if (ndim == 0)
    throw DataError(path, 3, "the IDX header declares 0 dimensions", refetch_hint);
  if (!any && std::find(allowed_dims.begin(), allowed_dims.end(), ndim) == allowed_dims.end())
    throw DataError(path, 3,
                    fmt::format("expected a {}-dimensional IDX array, but the header declares {} dimension{}",
                                allowed_text(allowed_dims), ndim, ndim == 1 ? "" : "s"),
                    "images files are 3-d (..-images-idx3-ubyte), labels files 1-d (..-labels-idx1-ubyte); "
                    "check that the right file was given");

  // 2. Dims: big-endian uint32 each, all nonzero, product under the cap.
  const std::uint64_t header_bytes = 4 + 4 * std::uint64_t(ndim);
  std::uint8_t raw[4 * 255];
  if (src.read(raw, 4 * ndim) < std::size_t(4 * ndim))
    throw_truncated(path, src.position(), header_bytes, fmt::format("header ({} dimensions)", ndim),
                    src.end_note());
  std::vector<std::uint32_t> dims(ndim);
  for (int i = 0; i < ndim; ++i) {
    const std::uint8_t* b = raw + 4 * i;
    dims[i] = std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
  }
  for (int i = 0; i < ndim; ++i)
    if (dims[i] == 0)
      throw DataError(path, 4 + 4 * std::uint64_t(i), fmt::format("dimension {} of the IDX array is 0", i),
                      refetch_hint);
  std::uint64_t total = 1;
  for (std::uint32_t d : dims) {
    // d < 2^32 and total <= 2^31 before the multiply, so this can't overflow.
    total *= d;
    if (total > idx_max_data_bytes)
      throw DataError(path, 4,
                      fmt::format("the header declares a {} array, more than the limit of {} bytes",
                                  shape_text(dims), idx_max_data_bytes),
                      "the header is corrupt, or the file is not an IDX file of unsigned bytes");
  }
  return dims;
}

IdxArray read_idx_impl(const std::string& path, std::initializer_list<int> allowed_dims) {
  ByteSource src(path);
  IdxArray out;
  out.dims = read_header(path, src, allowed_dims);
  const std::uint64_t header_bytes = src.position();
  std::uint64_t total = 1;
  for (std::uint32_t d : out.dims) total *= d;
  const std::uint64_t expected_end = header_bytes + total;
  const std::string data_what = fmt::format("data ({} = {} bytes)", shape_text(out.dims), total);

  // 3. Raw files: compare with the real size before allocating anything.
  if (const auto size = src.known_size()) {
    if (*size < expected_end) throw_truncated(path, *size, expected_end, data_what, "");
    if (*size > expected_end) throw_trailing(path, expected_end, *size - expected_end, data_what);
  }

  // 4. Data. Gzip content can't be sized up front, so grow the buffer
  // geometrically as data really arrives, never beyond the declared size.
  std::size_t filled = 0;
  std::size_t capacity = src.known_size() ? total : std::min<std::uint64_t>(total, std::uint64_t{1} << 20);
  out.bytes.resize(capacity);
  for (;;) {
    const std::size_t got = src.read(out.bytes.data() + filled, capacity - filled);
    filled += got;
    if (filled < capacity) throw_truncated(path, src.position(), expected_end, data_what, src.end_note());
    if (filled == total) break;
    capacity = std::min<std::uint64_t>(total, std::uint64_t{capacity} * 2);
    out.bytes.resize(capacity);
  }

  // 5. Nothing may follow the data.
  std::uint8_t extra[1 << 12];
  std::uint64_t trailing = 0;
  while (const std::size_t got = src.read(extra, sizeof extra)) trailing += got;
  if (trailing > 0) throw_trailing(path, expected_end, trailing, data_what);
  return out;
}

}  // namespace

IdxArray read_idx(const std::string& path, int expected_dims) { return read_idx_impl(path, {expected_dims}); }

IdxArray read_idx(const std::string& path, std::initializer_list<int> allowed_dims) {
  return read_idx_impl(path, allowed_dims);
}

void write_idx(const std::string& path, const IdxArray& array, bool gzip) {
  if (array.dims.empty() || array.dims.size() > 255)
    throw std::invalid_argument("write_idx: an IDX array has 1 to 255 dimensions");
  std::uint64_t total = 1;
  for (std::uint32_t d : array.dims) total *= d;
  if (total != array.bytes.size()) throw std::invalid_argument("write_idx: bytes.size() != product(dims)");

  std::vector<std::uint8_t> header = {0, 0, 0x08, static_cast<std::uint8_t>(array.dims.size())};
  for (std::uint32_t d : array.dims)
    for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<std::uint8_t>(d >> shift));

  const auto fail = [&](const std::string& why) {
    throw DataError(path, std::nullopt, fmt::format("cannot write the IDX file: {}", why),
                    "check that the directory exists and is writable");
  };
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    if (!f) fail(std::strerror(errno));
    // gzwrite takes unsigned lengths; write in chunks to stay below UINT_MAX.
    bool ok = gzwrite(f, header.data(), static_cast<unsigned>(header.size())) == int(header.size());
    for (std::size_t at = 0; ok && at < array.bytes.size(); at += std::size_t{1} << 30) {
      const auto n = static_cast<unsigned>(std::min<std::size_t>(array.bytes.size() - at, std::size_t{1} << 30));
      ok = gzwrite(f, array.bytes.data() + at, n) == int(n);
    }
    if (gzclose(f) != Z_OK || !ok) fail("gzip write failed");
    return;
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail(std::strerror(errno));
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
            std::fwrite(array.bytes.data(), 1, array.bytes.size(), f) == array.bytes.size();
  if (std::fclose(f) != 0 || !ok) fail(std::strerror(errno));
}

}  // namespace tl::data
