// The one translation unit that instantiates the X3 grammar.
#include "dsl/grammar.hpp"

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
    throw DiagnosticError(
        make_diagnostic(source, offset, static_cast<std::uint32_t>(found.size() > 2 ? found.size() - 2 : 1),
                        expected_message(failure.which()) + ", found " + found, keyword_hint(word)));
  }
  return program;
}

}  // namespace tl::dsl
