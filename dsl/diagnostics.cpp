// Rendering of script diagnostics (clang-style: location, line, caret).
#include "dsl/diagnostics.hpp"

#include <algorithm>

#include "dsl/source.hpp"

namespace tl {

namespace {

/// Longer lines (generated or hostile scripts) are shown as an excerpt that
/// starts a little before the column, so the message stays readable.
constexpr std::size_t max_line_shown = 160;
constexpr std::size_t context_before = 60;

/// The line as shown: control bytes (a NUL, say) become their Unicode control
/// pictures (U+2400 + byte, U+2421 for DEL), one column wide like the byte
/// they stand for, so the caret stays aligned and a NUL can't end the output.
std::string visible(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) {
      out += ch;
      continue;
    }
    const unsigned picture = c == 0x7f ? 0x2421 : 0x2400 + c;  // three bytes of UTF-8
    out += static_cast<char>(0xe0 | (picture >> 12));
    out += static_cast<char>(0x80 | ((picture >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (picture & 0x3f));
  }
  return out;
}


/// `name:line:col: KIND: message`, the line, the caret and its `~` range.
std::string render(const SourceFile& source, std::uint32_t offset, std::uint32_t length, const char* kind,
                   const std::string& message) {
  const LineCol at = source.line_col(offset);
  std::string out = source.name() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + kind +
                    ": " + message + "\n";
  // 1. The line; of a long line, an excerpt from a little before the column.
  const std::string_view full = source.line_text(at.line);
  std::string_view text = full;
  std::size_t column = at.column;  // 1-based, within `text`
  std::string lead, trail;
  if (full.size() > max_line_shown) {
    const std::size_t index = std::min<std::size_t>(column - 1, full.size());
    const std::size_t start = index > context_before ? index - context_before : 0;
    text = full.substr(start, max_line_shown);
    if (start > 0) lead = "...";
    if (start + text.size() < full.size()) trail = "...";
    column -= start;
  }
  out += "  " + lead + visible(text) + trail + "\n  " + std::string(lead.size(), ' ');
  // 2. The caret, with `~` under the rest of the range. Tabs are kept so the
  // caret stays aligned under the source.
  for (std::size_t i = 0; i + 1 < column && i < text.size(); ++i) out += text[i] == '\t' ? '\t' : ' ';
  out += '^';
  const std::size_t room = text.size() >= column ? text.size() - column : 0;
  out += std::string(std::min<std::size_t>(length > 0 ? length - 1 : 0, room), '~');
  out += "\n";
  return out;
}

}  // namespace

Diagnostic make_diagnostic(const SourceFile& source, std::uint32_t offset, std::uint32_t length,
                           const std::string& message, const std::string& hint) {
  std::string out = render(source, offset, length, "error", message);
  if (!hint.empty()) out += "  hint: " + hint + "\n";
  return {out};
}

void add_note(Diagnostic& d, const SourceFile& source, std::uint32_t offset, std::uint32_t length,
              const std::string& message) {
  d.rendered += render(source, offset, length, "note", message);
}

std::string DiagnosticError::render() const {
  std::string out;
  for (const auto& d : diagnostics_) out += d.rendered;
  return out;
}

}  // namespace tl
