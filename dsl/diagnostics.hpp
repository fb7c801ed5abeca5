// User-facing errors for scripts: `file:line:col: error: message`, the source
// line, a caret under the offending text, and optional notes/hints. Every
// error a user can cause in a script is a DiagnosticError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tl {

class SourceFile;

struct Diagnostic {
  std::string rendered;  // the complete multi-line message

  /// A diagnostic without a source location (already formatted); it ends
  /// with a newline like the located ones.
  static Diagnostic plain(std::string text) {
    if (text.empty() || text.back() != '\n') text += '\n';
    return {std::move(text)};
  }
};

/// Renders `name:line:col: error: message`, the line, a caret (with `~` under
/// the rest of the range, up to the end of the line) and `  hint: ...`. Of a
/// line longer than 160 bytes only an excerpt around the column is shown,
/// marked with "...".
Diagnostic make_diagnostic(const SourceFile& source, std::uint32_t offset, std::uint32_t length,
                           const std::string& message, const std::string& hint = {});

/// Appends `name:line:col: note: message`, the line and a caret to `d`: a
/// second place the error involves ("note: to match this '{'").
void add_note(Diagnostic& d, const SourceFile& source, std::uint32_t offset, std::uint32_t length,
              const std::string& message);

class DiagnosticError : public std::runtime_error {
 public:
  explicit DiagnosticError(Diagnostic diagnostic)
      : std::runtime_error(diagnostic.rendered), diagnostics_{std::move(diagnostic)} {}
  explicit DiagnosticError(std::vector<Diagnostic> diagnostics)
      : std::runtime_error(diagnostics.empty() ? std::string() : diagnostics.front().rendered),
        diagnostics_(std::move(diagnostics)) {}
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  /// All diagnostics, separated by blank lines.
  std::string render() const;

 private:
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace tl
