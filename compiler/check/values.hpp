// Reading argument values in the checker: numbers, integers, windows, words
// and strings, with the substitution of model parameters (`dense(classes)`
// inside `model m(classes)`), plus binding a call's arguments to a signature.
// Every failure is a CheckError located at the offending text.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dsl/ast.hpp"

namespace tl::check {

namespace x3 = boost::spirit::x3;

/// The call `e` is made of (no pipeline stages), or null.
const ast::Call* as_call(const ast::Expr& e);

/// Model parameters bound at an instantiation: name -> the value written at
/// the call site (or the default in the definition).
struct Scope {
  std::map<std::string, const ast::Expr*> bindings;
};

/// Follows a bare name bound in `scope` to its value (transitively).
const ast::Expr& resolve(const ast::Expr& e, const Scope* scope);

/// The bare name of `e` (`relu`, `same`, `true`), or "" if it is not one.
std::string bare_word(const ast::Expr& e);

/// A short rendering of a value for messages: `10`, `3x3`, `relu`, `conv2d(...)`.
std::string describe(const ast::Expr& e);

double number(const ast::Expr& e, const Scope* scope, const std::string& what);
double number(const ast::Number& n, const std::string& what);
std::int64_t integer(const ast::Expr& e, const Scope* scope, const std::string& what);
std::int64_t integer(const ast::Number& n, const std::string& what);
/// An integer >= minimum.
std::int64_t at_least(const ast::Expr& e, const Scope* scope, const std::string& what, std::int64_t minimum);
/// A window such as a kernel size: `3` (square) or `3x3`; each side >= 1.
std::pair<int, int> window(const ast::Expr& e, const Scope* scope, const std::string& what);
/// One of `choices` written as a bare word.
std::string choice(const ast::Expr& e, const Scope* scope, const std::string& what,
                   const std::vector<std::string>& choices);
bool boolean(const ast::Expr& e, const Scope* scope, const std::string& what);
std::string string_value(const ast::Expr& e, const Scope* scope, const std::string& what);

/// One formal parameter of a callable (layer, model, dataset source, optimizer).
struct Formal {
  std::string name;
  bool required = false;
};

/// The arguments of `call` matched to `formals`: positional first, then by
/// name. Errors: too many positional arguments, an unknown or repeated name,
/// a missing required argument. `slot(i)` is null when formal i was not given.
class BoundArgs {
 public:
  BoundArgs(const ast::Call& call, const std::vector<Formal>& formals, const std::string& what);
  const ast::Expr* slot(std::size_t i) const { return slots_[i]; }
  const ast::Call& call() const { return *call_; }

 private:
  const ast::Call* call_;
  std::vector<const ast::Expr*> slots_;
};

/// The candidate closest to `word` (edit distance, case counted as a small
/// difference), when it is close enough to be a likely misspelling; else "".
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

/// `name(a, b = default, ...)` for messages.
std::string signature(const std::string& name, const std::vector<Formal>& formals);

/// `28x28x1`: a sample shape as the user writes it.
std::string shape_text(const std::vector<std::int64_t>& shape);

/// A located span covering the whole of `e`.
ast::Located where(const ast::Expr& e);

}  // namespace tl::check
