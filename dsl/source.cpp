// Offsets -> line/column for diagnostics; file loading for scripts.
#include "dsl/source.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "dsl/diagnostics.hpp"

namespace tl {
namespace {

[[noreturn]] void too_large(const std::string& name, std::uint64_t bytes) {
  const auto mib = [](std::uint64_t b) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(b) / (1 << 20));
    return std::string(text);
  };
  throw DiagnosticError(Diagnostic::plain(
      name + ": error: the script is " + mib(bytes) + "; tl reads scripts of up to " + mib(max_script_bytes) +
      "\n  hint: check that this is the .tl file; a generated experiment can be split into several scripts"));
}

}  // namespace

SourceFile::SourceFile(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {
  // Also keeps offsets, 32-bit everywhere (AST nodes, diagnostics), in range.
  static_assert(max_script_bytes < std::numeric_limits<std::uint32_t>::max());
  if (text_.size() > max_script_bytes) too_large(name_, text_.size());
  line_starts_.push_back(0);
  for (std::uint32_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
}

SourceFile SourceFile::load(const std::string& path) {
  // Only a regular file: opening a FIFO would block until something writes
  // to it, and a directory is never the script.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    const bool dir = S_ISDIR(st.st_mode);
    throw DiagnosticError(Diagnostic::plain(path + ": error: this is " +
                                            (dir ? "a directory" : "not a regular file (a FIFO, socket or device)") +
                                            ", not a script\n  hint: " +
                                            (dir ? "name the .tl file inside it" : "save the script to a file and name that")));
  }
  // Refused before reading: the size alone decides.
  if (static_cast<std::uint64_t>(st.st_size) > max_script_bytes) too_large(path, static_cast<std::uint64_t>(st.st_size));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw DiagnosticError(Diagnostic::plain(path + ": error: cannot open the script: " + std::strerror(errno) +
                                            "\n  hint: check the path; tlc takes the .tl file as its argument"));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return SourceFile(path, buffer.str());
}

LineCol SourceFile::line_col(std::uint32_t offset) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text_.size()));
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const auto line = static_cast<std::uint32_t>(it - line_starts_.begin());
  return {line, offset - line_starts_[line - 1] + 1};
}

std::string_view SourceFile::line_text(std::uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  const std::uint32_t begin = line_starts_[line - 1];
  std::uint32_t end = line < line_starts_.size() ? line_starts_[line] - 1 : static_cast<std::uint32_t>(text_.size());
  if (end > begin && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(begin, end - begin);
}

std::string SourceFile::directory() const {
  const auto slash = name_.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return name_.substr(0, slash);
}

}  // namespace tl
