// DataError rendering; see data_error.hpp.
#include "runtime/data/data_error.hpp"

#include <fmt/format.h>

namespace tl::data {

namespace {

std::string render(const std::string& path, const std::optional<std::uint64_t>& offset, const std::string& message,
                   const std::string& hint) {
  std::string out = offset ? fmt::format("{}: byte {}: error: {}", path, *offset, message)
                           : fmt::format("{}: error: {}", path, message);
  if (!hint.empty()) out += fmt::format("\n  hint: {}", hint);
  return out;
}

}  // namespace

DataError::DataError(std::string path, std::optional<std::uint64_t> byte_offset, std::string message, std::string hint)
    : std::runtime_error(render(path, byte_offset, message, hint)),
      path_(std::move(path)),
      byte_offset_(byte_offset),
      message_(std::move(message)),
      hint_(std::move(hint)) {}

std::string DataError::format() const { return what(); }

}  // namespace tl::data
