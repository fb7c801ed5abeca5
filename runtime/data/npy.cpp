// .npy reading; see npy.hpp. The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }
// parsed by a small recursive reader of exactly that grammar.
#include "runtime/data/npy.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <sys/stat.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/regular_file.hpp"

namespace tl::data {

namespace {

constexpr std::uint64_t max_data_bytes = std::uint64_t{1} << 31;
constexpr const char* resave_hint = "write it again with numpy.save (an interrupted copy?)";

/// The header dictionary, read left to right; `offset` is the byte offset of
/// the header's first character in the file, for errors.
class HeaderReader {
 public:
  HeaderReader(const std::string& text, std::size_t offset, const std::string& name)
      : text_(text), base_(offset), name_(name) {}

  struct Fields {
    std::optional<std::string> descr;
    std::optional<bool> fortran;
    std::optional<std::vector<std::int64_t>> shape;
  };

  Fields read() {
    Fields f;
    expect('{');
    while (true) {
      skip();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      skip();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"') fail("'descr' is not a simple type string: tl reads arrays of numbers, not structured arrays");
        f.descr = string_literal();
      } else if (key == "fortran_order") {
        f.fortran = boolean();
      } else if (key == "shape") {
        f.shape = tuple();
      } else {
        fail(fmt::format("unknown key '{}' in the header", key));
      }
      skip();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}' in the header");
    }
    ++pos_;
    skip();
    if (pos_ != text_.size()) fail("text after the header's dictionary");
    if (!f.descr || !f.fortran || !f.shape) fail("the header lacks one of 'descr', 'fortran_order' and 'shape'");
    return f;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw DataError(name_, base_ + pos_, what, resave_hint); }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    skip();
    if (peek() != c) fail(fmt::format("expected '{}' in the header", c));
    ++pos_;
  }
  std::string string_literal() {
    skip();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string in the header");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail("a string in the header is not closed");
    std::string s = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return s;
  }
  bool boolean() {
    if (text_.compare(pos_, 4, "True") == 0) return pos_ += 4, true;
    if (text_.compare(pos_, 5, "False") == 0) return pos_ += 5, false;
    fail("'fortran_order' is not True or False");
  }
  std::vector<std::int64_t> tuple() {
    if (peek() != '(') fail("'shape' is not a tuple");
    ++pos_;
    std::vector<std::int64_t> dims;
    while (true) {
      skip();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("a dimension of 'shape' is not a non-negative integer");
      std::int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) fail("a dimension of 'shape' is too large");
        v = v * 10 + (peek() - '0');
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2's long literals
      dims.push_back(v);
      skip();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')' in 'shape'");
    }
    ++pos_;
    if (dims.size() > 32) fail("'shape' has more than 32 dimensions");
    return dims;
  }

  const std::string& text_;
  std::size_t base_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

std::uint32_t le(const std::uint8_t* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

}  // namespace

std::int64_t NpyArray::count() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string NpyArray::dtype_name() const {
  if (kind == 'b') return "bool";
  return fmt::format("{}{}", kind == 'f' ? "float" : kind == 'i' ? "int" : "uint", item_bytes * 8);
}

NpyArray parse_npy(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  // 1. Magic, version, header length.
  static const std::uint8_t magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(bytes, magic, sizeof magic) != 0)
    throw DataError(name, 0, "not a NumPy .npy file (it does not start with \\x93NUMPY)",
                    "save arrays with numpy.save; .npz archives are not read (np.load them and save each array)");
  const int major = bytes[6];
  if (major < 1 || major > 3)
    throw DataError(name, 6, fmt::format(".npy format version {}.{} is not one tl reads (1, 2 or 3)", major, bytes[7]));
  const int length_bytes = major == 1 ? 2 : 4;
  const std::size_t start = 8 + static_cast<std::size_t>(length_bytes);
  if (size < start) throw DataError(name, size, "the file ends within its header", resave_hint);
  const std::uint64_t header_length = le(bytes + 8, length_bytes);
  if (header_length > size - start)
    throw DataError(name, 8, fmt::format("the header claims {} bytes, but the file has {} after it", header_length, size - start),
                    resave_hint);
  const std::string text(reinterpret_cast<const char*>(bytes + start), static_cast<std::size_t>(header_length));

  // 2. The dictionary.
  HeaderReader::Fields fields = HeaderReader(text, start, name).read();
  NpyArray out;
  out.shape = *fields.shape;
  const std::string& d = *fields.descr;
  const bool simple = d.size() >= 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=') &&
                      std::string("uifb").find(d[1]) != std::string::npos &&
                      std::all_of(d.begin() + 2, d.end(), [](char c) { return c >= '0' && c <= '9'; }) && d.size() <= 4;
  if (!simple) throw DataError(name, start, fmt::format("the dtype '{}' is not an integer, float or bool type", d));
  out.kind = d[1];
  out.item_bytes = std::stoi(d.substr(2));
  const bool valid_size = out.kind == 'f' ? (out.item_bytes == 4 || out.item_bytes == 8 || out.item_bytes == 2)
                                          : (out.item_bytes == 1 || out.item_bytes == 2 || out.item_bytes == 4 || out.item_bytes == 8);
  if (!valid_size || (out.kind == 'b' && out.item_bytes != 1))
    throw DataError(name, start, fmt::format("the dtype '{}' is not one tl reads", d));
  if (*fields.fortran)
    throw DataError(name, start, "the array is in Fortran order", "save numpy.ascontiguousarray(a) instead");

  // 3. The data: exactly what the shape says, checked before allocating.
  const std::uint64_t available = size - start - header_length;
  std::uint64_t expected = static_cast<std::uint64_t>(out.item_bytes);
  for (std::int64_t dim : out.shape) {
    if (dim != 0 && expected > max_data_bytes / static_cast<std::uint64_t>(dim))
      throw DataError(name, start, fmt::format("the shape claims more than {} bytes of data", max_data_bytes),
                      "tl reads arrays of up to 2 GiB; split the data into several files");
    expected *= static_cast<std::uint64_t>(dim);
  }
  if (available != expected)
    throw DataError(name, start + header_length,
                    fmt::format("the shape {} of {} needs {} bytes of data, but the file has {}",
                                fmt::join(out.shape, "x"), out.dtype_name(), expected, available),
                    available < expected ? "the file is truncated; " + std::string(resave_hint) : resave_hint);
  out.data.assign(bytes + start + header_length, bytes + size);
  if (d[0] == '>' && out.item_bytes > 1)
    for (std::size_t i = 0; i < out.data.size(); i += static_cast<std::size_t>(out.item_bytes))
      std::reverse(out.data.begin() + static_cast<std::ptrdiff_t>(i),
                   out.data.begin() + static_cast<std::ptrdiff_t>(i) + out.item_bytes);
  return out;
}

ImagesAndLabels read_npy_pair(const std::string& images_path, const std::string& labels_path) {
  NpyArray x = read_npy(images_path);
  const bool bytes = x.kind == 'u' && x.item_bytes == 1, floats = x.kind == 'f' && x.item_bytes == 4;
  if (!bytes && !floats)
    throw DataError(images_path, std::nullopt, fmt::format("the samples are {}; tl reads uint8 or float32 samples", x.dtype_name()),
                    "convert them: x.astype(numpy.float32), or numpy.uint8 for pixel bytes");
  if (x.shape.size() < 2 || x.shape.size() > 4)
    throw DataError(images_path, std::nullopt,
                    fmt::format("the array has shape ({}); tl reads (N, H, W), (N, H, W, C) or (N, F)", fmt::join(x.shape, ", ")),
                    "reshape it: one sample per row of the first axis");
  const std::int64_t n = x.shape[0];
  for (std::size_t i = 1; i < x.shape.size(); ++i)
    if (x.shape[i] < 1 || x.shape[i] > std::numeric_limits<std::int32_t>::max())
      throw DataError(images_path, std::nullopt, fmt::format("the array has shape ({}): every sample dimension must be at least 1",
                                                             fmt::join(x.shape, ", ")));
  ImagesAndLabels out;
  out.flat = x.shape.size() == 2;
  out.height = out.flat ? 1 : static_cast<int>(x.shape[1]);
  out.width = out.flat ? 1 : static_cast<int>(x.shape[2]);
  out.channels = out.flat ? static_cast<int>(x.shape[1]) : x.shape.size() == 4 ? static_cast<int>(x.shape[3]) : 1;
  if (floats) {
    out.is_float = true;
    out.floats.resize(static_cast<std::size_t>(x.count()));
    std::memcpy(out.floats.data(), x.data.data(), x.data.size());
    const auto bad = std::find_if(out.floats.begin(), out.floats.end(), [](float v) { return !std::isfinite(v); });
    if (bad != out.floats.end())
      throw DataError(images_path, std::nullopt,
                      fmt::format("value {} of the array is {}", bad - out.floats.begin(), *bad),
                      "replace missing values (NaN) before saving, e.g. numpy.nan_to_num");
  } else {
    out.pixels = std::move(x.data);
  }
  if (labels_path.empty()) {
    out.labels.assign(static_cast<std::size_t>(n), -1);
    out.labelled = false;
    return out;
  }
  const NpyArray y = read_npy(labels_path);
  if ((y.kind != 'u' && y.kind != 'i') || y.shape.size() != 1)
    throw DataError(labels_path, std::nullopt,
                    fmt::format("the labels are {} of shape ({}); tl reads integer labels of shape (N)", y.dtype_name(),
                                fmt::join(y.shape, ", ")),
                    "save one class number per sample: numpy.save(\"y.npy\", labels.astype(numpy.int64))");
  if (y.shape[0] != n)
    throw DataError(labels_path, std::nullopt,
                    fmt::format("this file has {} labels, but {} has {} samples", y.shape[0], images_path, n),
                    "the two files must describe the same samples, in the same order");
  out.labels.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint8_t* p = y.data.data() + i * y.item_bytes;
    std::int64_t v = 0;
    if (y.kind == 'u') {
      std::uint64_t u = 0;
      std::memcpy(&u, p, static_cast<std::size_t>(y.item_bytes));
      v = u > 255 ? 256 : static_cast<std::int64_t>(u);
    } else {
      std::int64_t raw = 0;
      std::memcpy(&raw, p, static_cast<std::size_t>(y.item_bytes));
      const int shift = 64 - 8 * y.item_bytes;  // sign-extend
      v = shift ? static_cast<std::int64_t>(static_cast<std::uint64_t>(raw) << shift) >> shift : raw;
    }
    if (v < 0 || v > 255)
      throw DataError(labels_path, std::nullopt, fmt::format("label {} is {}; tl takes labels 0 to 255", i, v),
                      "number the classes from 0");
    out.labels[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(v);
  }
  return out;
}

NpyArray read_npy(const std::string& path) {
  require_regular_file(path, ".npy file");
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f)
    throw DataError(path, std::nullopt, fmt::format("cannot open the file: {}", std::strerror(errno)),
                    "check the path (relative paths are relative to the script's folder)");
  struct stat st {};
  if (fstat(fileno(f.get()), &st) != 0) throw DataError(path, std::nullopt, "cannot read the file's size");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_data_bytes + (1 << 20))
    throw DataError(path, std::nullopt, fmt::format("the file is {:.1f} GiB; tl reads .npy files of up to 2 GiB",
                                                    static_cast<double>(size) / (1 << 30)),
                    "split the data into several files");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  const std::size_t got = std::fread(bytes.data(), 1, bytes.size(), f.get());
  if (got != bytes.size()) throw DataError(path, got, "cannot read the whole file");
  return parse_npy(bytes.data(), bytes.size(), path);
}

}  // namespace tl::data
