// safetensors reader and writer (see safetensors.hpp).
#include "runtime/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>
#include <vector>

#include "runtime/data/data_error.hpp"
#include "runtime/data/regular_file.hpp"

namespace tl::io {

namespace {

using data::DataError;

// The format is little-endian; so is every machine tl is built for.
static_assert(std::endian::native == std::endian::little);

constexpr std::uint64_t max_header_bytes = 100u << 20;  // the format's own limit

/// A header value for a message: a scalar as written (shortened), a container
/// by its type. Never dump() untrusted containers: the serializer recurses
/// once per level, and a header can nest millions of levels.
std::string describe(const nlohmann::json& v) {
  if (!v.is_primitive()) return std::string("a JSON ") + v.type_name();
  const std::string text = v.dump();
  return text.size() <= 40 ? text : text.substr(0, 40) + "...";
}

}  // namespace

void write_safetensors(const std::string& path, const TensorFile& file) {
  // 1. The header, with tensors laid out in name order, back to back.
  nlohmann::json header = nlohmann::json::object();
  std::uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
    const std::uint64_t bytes = t.size() * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data to 8 bytes
  // 2. Write to a temporary file in the same folder, flush, rename over.
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw DataError(path, std::nullopt, "cannot write the model file", "check that the folder exists and is writable");
    const std::uint64_t n = text.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& [name, t] : file.tensors)
      out.write(reinterpret_cast<const char*>(t.data()), static_cast<std::streamsize>(t.size() * sizeof(float)));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw DataError(path, std::nullopt, "writing the model file failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw DataError(path, std::nullopt, std::string("cannot move the new model file into place: ") + std::strerror(errno));
  }
}

TensorFile read_safetensors(const std::string& path) {
  data::require_regular_file(path, "model file");  // before open(): a FIFO would block it
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, std::nullopt, std::string("cannot open the model file: ") + std::strerror(errno),
                           "check the path; tlc run saves models as <run folder>/<model>.safetensors");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  // 1. The header size and the header.
  if (size < 8) throw DataError(path, size, "the file ends inside the 8-byte header size (it has " + std::to_string(size) + " bytes)",
                                "the file is truncated; save the model again");
  std::uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  if (n > max_header_bytes || n > size - 8)
    throw DataError(path, 0, "the header claims " + std::to_string(n) + " bytes, but the file has " + std::to_string(size - 8) +
                                 " after the size field", "the file is truncated or not a safetensors file");
  std::string text(n, '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(path, 8 + e.byte, "the header is not valid JSON", "the file is damaged or not a safetensors file");
  }
  if (!header.is_object()) throw DataError(path, 8, "the header is not a JSON object");
  // 2. Every tensor's entry, checked against the data section.
  const std::uint64_t data_start = 8 + n, data_size = size - data_start;
  TensorFile file;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw DataError(path, 8, "__metadata__ is not an object of strings");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) throw DataError(path, 8, "__metadata__ entry '" + k + "' is not a string");
        file.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const auto bad = [&](const std::string& what) { return DataError(path, 8, "tensor '" + name + "': " + what); };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
      throw bad("needs dtype, shape and data_offsets");
    if (entry["dtype"] != "F32") throw bad("dtype " + describe(entry["dtype"]) + " is not supported (tl stores F32)");
    if (!entry["shape"].is_array()) throw bad("the shape must be an array of sizes, not " + describe(entry["shape"]));
    std::vector<std::size_t> shape;
    std::uint64_t count = 1;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned() || d.get<std::uint64_t>() > (1ull << 32)) throw bad("the shape holds a bad dimension " + describe(d));
      shape.push_back(d.get<std::size_t>());
      count *= d.get<std::uint64_t>();
      if (count > data_size) throw bad("the shape needs more bytes than the file has");
    }
    const auto& off = entry["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw bad("data_offsets must be two unsigned integers");
    const std::uint64_t begin = off[0], end = off[1];
    if (begin > end || end > data_size)
      throw bad("its bytes [" + std::to_string(begin) + ", " + std::to_string(end) + ") run past the data section (" +
                std::to_string(data_size) + " bytes): the file is truncated");
    if (end - begin != count * sizeof(float))
      throw bad("its shape needs " + std::to_string(count * sizeof(float)) + " bytes but its offsets give " +
                std::to_string(end - begin));
    ranges.emplace_back(begin, end);
    Tensor t = Tensor::from_shape(shape);
    in.seekg(static_cast<std::streamoff>(data_start + begin));
    in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(end - begin));
    if (!in) throw DataError(path, data_start + begin, "tensor '" + name + "': reading its bytes failed");
    file.tensors.emplace(name, std::move(t));
  }
  // 3. The data section must be covered exactly, without overlaps.
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t expected = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin != expected)
      throw DataError(path, data_start + std::min(begin, expected),
                      begin < expected ? "two tensors overlap" : "the data section has a gap between tensors");
    expected = end;
  }
  if (expected != data_size)
    throw DataError(path, data_start + expected,
                    std::to_string(data_size - expected) + " bytes after the last tensor belong to none");
  return file;
}

}  // namespace tl::io
