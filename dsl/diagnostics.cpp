// Rendering of script diagnostics (clang-style: location, line, caret).
#include "dsl/diagnostics.hpp"

#include <algorithm>

#include "dsl/source.hpp"

namespace tl {

Diagnostic make_diagnostic(const SourceFile& source, std::uint32_t offset, std::uint32_t length,
                           const std::string& message, const std::string& hint) {
  const LineCol at = source.line_col(offset);
  std::string out = source.name() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                    ": error: " + message + "\n";
  const std::string_view line = source.line_text(at.line);
  out += "  ";
  out += line;
  out += "\n  ";
  // Keep tabs in the caret line so it stays aligned under the source.
  for (std::uint32_t i = 0; i + 1 < at.column && i < line.size(); ++i) out += line[i] == '\t' ? '\t' : ' ';
  out += '^';
  const std::uint32_t room = line.size() >= at.column ? static_cast<std::uint32_t>(line.size()) - at.column : 0;
  out += std::string(std::min(length > 0 ? length - 1 : 0, room), '~');
  out += "\n";
  if (!hint.empty()) out += "  hint: " + hint + "\n";
  return {out};
}

std::string DiagnosticError::render() const {
  std::string out;
  for (const auto& d : diagnostics_) out += d.rendered;
  return out;
}

}  // namespace tl
