// A script's text plus its name, and the mapping from byte offsets to
// 1-based line and column numbers that every diagnostic uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tl {

struct LineCol {
  std::uint32_t line = 0;    // 1-based
  std::uint32_t column = 0;  // 1-based, counted in bytes
};

/// The largest script tl reads: 16 MiB. A hand-written script is a few KB and
/// a generated one rarely 1 MB; checking costs up to about 40 bytes of memory
/// per script byte (the syntax tree and the step list), so this bounds it to
/// well under 1 GB. docs/language.md states the limit.
inline constexpr std::size_t max_script_bytes = std::size_t{16} << 20;

class SourceFile {
 public:
  /// Throws DiagnosticError (no location) for a text of more than
  /// max_script_bytes.
  SourceFile(std::string name, std::string text);
  /// Reads a file; throws DiagnosticError (no location) if it can't be read
  /// or is larger than max_script_bytes (then without reading it).
  static SourceFile load(const std::string& path);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  LineCol line_col(std::uint32_t offset) const;
  /// The text of a 1-based line, without its newline.
  std::string_view line_text(std::uint32_t line) const;
  /// Directory part of the name ("." when none): where relative paths resolve.
  std::string directory() const;

 private:
  std::string name_;
  std::string text_;
  std::vector<std::uint32_t> line_starts_;
};

}  // namespace tl
