// DataError: the one exception type for every data problem a user can cause
// (missing file, malformed IDX, mismatched image/label files, unknown dataset
// name). It carries where (path and, when known, a byte offset), what went
// wrong and what to do about it, so the driver can print
//   PATH: byte OFFSET: error: MESSAGE
//     hint: HINT
// the same way the DSL prints file:line:col diagnostics.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace tl::data {

class DataError : public std::runtime_error {
 public:
  DataError(std::string path, std::optional<std::uint64_t> byte_offset, std::string message, std::string hint = {});

  const std::string& path() const { return path_; }
  /// Offset into the (decompressed) file where the problem is, if it has one.
  const std::optional<std::uint64_t>& byte_offset() const { return byte_offset_; }
  const std::string& message() const { return message_; }
  /// What the user can do about it; may be empty.
  const std::string& hint() const { return hint_; }

  /// `PATH: byte OFFSET: error: MESSAGE` (no "byte" part without an offset),
  /// followed by `\n  hint: HINT` when there is a hint. what() returns the same.
  std::string format() const;

 private:
  std::string path_;
  std::optional<std::uint64_t> byte_offset_;
  std::string message_;
  std::string hint_;
};

}  // namespace tl::data
