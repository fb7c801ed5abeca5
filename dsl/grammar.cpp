// The one translation unit that instantiates the X3 grammar.
#include "dsl/grammar.hpp"

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

}  // namespace

ast::Program parse(const SourceFile& source) {
  namespace x3 = boost::spirit::x3;
  // The grammar recurses once per nesting level; bound it before it runs.
  check_nesting(source);
  const std::string& text = source.text();
  using Iterator = std::string::const_iterator;
  const Iterator begin = text.begin();
  Iterator first = text.begin();
  const Iterator last = text.end();

  ast::Program program;
  try {
    const auto parser = x3::with<grammar::source_begin_tag>(begin)[grammar::program];
    const bool ok = x3::phrase_parse(first, last, parser, grammar::skipper, program);
    if (!ok || first != last) {
      const auto offset = static_cast<std::uint32_t>(first - begin);
      throw DiagnosticError(make_diagnostic(source, offset, 1, "syntax error"));
    }
  } catch (const x3::expectation_failure<Iterator>& failure) {
    // Point at the first character that is not white space or a comment.
    Iterator at = failure.where();
    x3::skip_over(at, last, x3::make_context<x3::skipper_tag>(grammar::skipper));
    const auto offset = static_cast<std::uint32_t>(at - begin);
    std::string found, word;
    if (at == last) {
      found = "the end of the file";
    } else {
      // Quote the offending token: a whole word or number, else one character.
      auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
      Iterator end = at;
      if (is_word(*at)) {
        while (end != last && end - at < 24 && is_word(*end)) ++end;
      } else {
        ++end;
      }
      word = std::string(at, end);
      found = "'" + word + "'";
    }
    Diagnostic d = make_diagnostic(source, offset, static_cast<std::uint32_t>(found.size() > 2 ? found.size() - 2 : 1),
                                   expected_message(failure.which()) + ", found " + found, keyword_hint(word));
    // A missing closing bracket: show the one it would close.
    for (const char open : {'{', '('}) {
      const std::string close = open == '{' ? "'}'" : "')'";
      if (failure.which().find(close) == std::string::npos) continue;
      if (const auto at_open = unclosed(text, offset, open))
        add_note(d, source, *at_open, 1, std::string("to match this '") + open + "'");
    }
    throw DiagnosticError(std::move(d));
  }
  return program;
}

}  // namespace tl::dsl
