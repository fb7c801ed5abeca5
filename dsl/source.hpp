// A script's text plus its name, and the mapping from byte offsets to
// 1-based line and column numbers that every diagnostic uses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tl {

struct LineCol {
  std::uint32_t line = 0;    // 1-based
  std::uint32_t column = 0;  // 1-based, counted in bytes
};

class SourceFile {
 public:
  /// Throws DiagnosticError (no location) for a text of more than 4 GiB.
  SourceFile(std::string name, std::string text);
  /// Reads a file; throws DiagnosticError (no location) if it can't be read.
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
