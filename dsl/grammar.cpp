// The one translation unit that instantiates the X3 grammar.
#include "dsl/grammar.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "dsl/diagnostics.hpp"
#include "dsl/grammar_def.hpp"
#include "dsl/nesting.hpp"

namespace tl::dsl {

namespace {

/// Turns X3's rule names into the wording of a diagnostic.
std::string expected_message(const std::string& which) {
  if (which.empty()) return "syntax error";
  return "expected " + which;
}

/// The offset of the innermost bracket `open` ('{' or '(') still unclosed
/// before `end`, skipping strings and comments; nothing when all are closed.
std::optional<std::uint32_t> unclosed(const std::string& text, std::uint32_t end, char open) {
  std::vector<std::pair<char, std::uint32_t>> stack;
  for (std::uint32_t i = 0; i < end && i < text.size(); ++i) {
    const char c = text[i];
    if (c == '#') {  // a comment, to the end of the line
      while (i < end && text[i] != '\n') ++i;
    } else if (c == '"') {  // a string, to its closing quote or the end of the line
      for (++i; i < end && text[i] != '"' && text[i] != '\n'; ++i) {
      }
    } else if (c == '{' || c == '(') {
      stack.emplace_back(c, i);
    } else if ((c == '}' || c == ')') && !stack.empty() && stack.back().first == (c == '}' ? '{' : '(')) {
      stack.pop_back();
    }
  }
  for (auto it = stack.rbegin(); it != stack.rend(); ++it)
    if (it->first == open) return it->second;
  return std::nullopt;
}

/// A hint when the offending word is a reserved one (grammar::reserved_words).
std::string keyword_hint(const std::string& word) {
  for (const char* reserved : grammar::reserved_words)
    if (word == reserved)
      return "'" + word + "' is a keyword and cannot name anything; choose another name, such as " + word + "_data";
  return "";
}

/// `expected ..., found TOKEN` at `at` (the first character that is not white
/// space or a comment), with a hint for a reserved word and a note at the
/// bracket a missing '}' or ')' would close (`which`: what was expected).
Diagnostic syntax_error(const SourceFile& source, std::string::const_iterator at, const std::string& expected,
                        const std::string& which = {}) {
  const std::string& text = source.text();
  const auto offset = static_cast<std::uint32_t>(at - text.begin());
  std::string found, word;
  if (at == text.end()) {
    found = "the end of the file";
  } else {
    // Quote the offending token: a whole word or number, else one character.
    auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
    auto end = at;
    if (is_word(*at)) {
      while (end != text.end() && end - at < 24 && is_word(*end)) ++end;
    } else {
      ++end;
    }
    word = std::string(at, end);
    found = "'" + word + "'";
  }
  Diagnostic d = make_diagnostic(source, offset, static_cast<std::uint32_t>(found.size() > 2 ? found.size() - 2 : 1),
                                 expected + ", found " + found, keyword_hint(word));
  // A missing closing bracket: show the one it would close.
  for (const char open : {'{', '('}) {
    const std::string close = open == '{' ? "'}'" : "')'";
    if (which.find(close) == std::string::npos) continue;
    if (const auto at_open = unclosed(text, offset, open)) add_note(d, source, *at_open, 1, std::string("to match this '") + open + "'");
  }
  return d;
}

/// The first statement start at or after `from`: a line that begins (at
/// column 1) with something other than white space, a comment or a closing
/// bracket. Statements of a script start there; the lines of a block are
/// indented.
std::uint32_t next_statement_start(const std::string& text, std::uint32_t from) {
  std::uint32_t line = from;
  while (line > 0 && text[line - 1] != '\n') --line;  // the start of from's line
  if (line < from) line = static_cast<std::uint32_t>(std::min(text.find('\n', from), text.size())) + 1;
  while (line < text.size()) {
    const char c = text[line];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '#' && c != '}' && c != ')') return line;
    const std::size_t end = text.find('\n', line);
    if (end == std::string::npos) break;
    line = static_cast<std::uint32_t>(end) + 1;
  }
  return static_cast<std::uint32_t>(text.size());
}

/// Errors reported before the parser stops.
constexpr std::size_t max_syntax_errors = 20;

}  // namespace

ast::Program parse(const SourceFile& source) {
  namespace x3 = boost::spirit::x3;
  // The grammar recurses once per nesting level; bound it before it runs.
  check_nesting(source);
  const std::string& text = source.text();
  using Iterator = std::string::const_iterator;
  const Iterator begin = text.begin();
  const Iterator last = text.end();
  const auto parser = x3::with<grammar::source_begin_tag>(begin)[grammar::statement];
  const auto skip = x3::make_context<x3::skipper_tag>(grammar::skipper);

  // Statement by statement: after a syntax error, parsing goes on at the next
  // statement, so independent errors are reported together.
  ast::Program program;
  std::vector<Diagnostic> errors;
  Iterator first = begin;
  while (errors.size() < max_syntax_errors) {
    x3::skip_over(first, last, skip);
    if (first == last) break;
    const auto start = static_cast<std::uint32_t>(first - begin);
    ast::Statement statement;
    try {
      if (x3::phrase_parse(first, last, parser, grammar::skipper, statement)) {
        program.statements.push_back(std::move(statement));
        continue;
      }
      errors.push_back(syntax_error(source, first, std::string("expected ") + grammar::statement_or_end.name));
    } catch (const x3::expectation_failure<Iterator>& failure) {
      Iterator at = failure.where();
      x3::skip_over(at, last, skip);
      errors.push_back(syntax_error(source, at, expected_message(failure.which()), failure.which()));
      first = at;
    }
    // Go on at the next statement after this one's start.
    const auto resume = std::max(next_statement_start(text, static_cast<std::uint32_t>(first - begin)),
                                 next_statement_start(text, start + 1));
    first = begin + resume;
  }
  if (!errors.empty()) throw DiagnosticError(std::move(errors));
  return program;
}

}  // namespace tl::dsl
