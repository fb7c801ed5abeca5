// The pre-parse nesting check (see nesting.hpp).
#include "dsl/nesting.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "dsl/diagnostics.hpp"

namespace tl::dsl {

namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

void check_nesting(const SourceFile& source) {
  const std::string& text = source.text();
  const std::size_t n = text.size();
  int depth = 0;    // levels open at this point
  int pending = 0;  // `not`s still waiting for the atom they negate
  // For each open bracket, the depth to return to when it closes: the depth
  // before the `not`s that negate the group.
  std::vector<int> reopen;

  const auto deeper = [&](std::size_t at, std::size_t length) {
    if (++depth <= max_nesting_depth) return;
    throw DiagnosticError(make_diagnostic(
        source, static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(length),
        "this is nested more than " + std::to_string(max_nesting_depth) + " levels deep (brackets and 'not')",
        "simplify the expression; a script may nest at most " + std::to_string(max_nesting_depth) + " levels"));
  };
  // Any other token ends the atom the pending `not`s negate.
  const auto atom = [&] {
    depth -= pending;
    pending = 0;
  };

  for (std::size_t i = 0; i < n;) {
    const char c = text[i];
    if (c == '#') {  // a comment, to the end of the line
      while (i < n && text[i] != '\n') ++i;
    } else if (c == '"') {  // a string: no newline inside, may be unterminated
      ++i;
      while (i < n && text[i] != '"' && text[i] != '\n' && text[i] != '\r') ++i;
      if (i < n && text[i] == '"') ++i;
      atom();
    } else if (is_word_char(c)) {
      std::size_t end = i;
      while (end < n && is_word_char(text[end])) ++end;
      if (text.compare(i, end - i, "not") == 0) {
        ++pending;
        deeper(i, 3);
      } else {
        atom();
      }
      i = end;
    } else if (c == '(' || c == '{') {
      reopen.push_back(depth - pending);
      pending = 0;
      deeper(i, 1);
      ++i;
    } else if (c == ')' || c == '}') {
      // An unmatched closer is a syntax error the grammar reports.
      if (!reopen.empty()) {
        depth = reopen.back();
        reopen.pop_back();
      } else {
        atom();
      }
      pending = 0;
      ++i;
    } else {
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') atom();
      ++i;
    }
  }
}

}  // namespace tl::dsl
