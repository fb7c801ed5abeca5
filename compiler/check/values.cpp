// Argument values and signature binding for the checker (see values.hpp).
#include "compiler/check/values.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "compiler/check/check_error.hpp"

namespace tl::check {

namespace {

template <typename T>
const T* get_if(const ast::Primary& p) {
  return boost::get<T>(&p.get());
}

const ast::Call* get_call(const ast::Primary& p) {
  if (auto* c = boost::get<boost::spirit::x3::forward_ast<ast::Call>>(&p.get())) return &c->get();
  return nullptr;
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

/// For a value that is an unbound bare name where a number was expected.
std::string unbound_hint(const ast::Expr& v) {
  const std::string word = bare_word(v);
  if (word.empty()) return {};
  return "'" + word + "' is not a parameter of this model; declare it as model name(" + word + ", ...)";
}

}  // namespace

const ast::Call* as_call(const ast::Expr& e) {
  if (auto* c = boost::get<x3::forward_ast<ast::Call>>(&e.head.get())) return &c->get();
  return nullptr;
}

ast::Located where(const ast::Expr& e) { return static_cast<const ast::Located&>(e); }

std::string bare_word(const ast::Expr& e) {
  if (!e.stages.empty()) return {};
  if (auto* p = get_if<ast::Path>(e.head); p && p->parts.size() == 1) return p->parts[0];
  return {};
}

const ast::Expr& resolve(const ast::Expr& e, const Scope* scope) {
  const ast::Expr* current = &e;
  // Bindings never refer to the same scope (they are call-site values), but a
  // default may name another parameter; bound the walk to stay safe.
  for (int depth = 0; scope && depth < 16; ++depth) {
    const std::string word = bare_word(*current);
    auto it = scope->bindings.find(word);
    if (word.empty() || it == scope->bindings.end() || it->second == current) break;
    current = it->second;
  }
  return *current;
}

std::string describe(const ast::Expr& e) {
  if (auto* n = get_if<ast::Number>(e.head)) return n->text;
  if (auto* d = get_if<ast::Dims>(e.head)) {
    std::string out;
    for (std::size_t i = 0; i < d->values.size(); ++i) out += (i ? "x" : "") + std::to_string(d->values[i]);
    return out;
  }
  if (auto* s = get_if<ast::String>(e.head)) return "\"" + s->text + "\"";
  if (auto* p = get_if<ast::Path>(e.head)) return join(p->parts, ".");
  if (auto* c = get_call(e.head)) return c->callee.text + "(...)";
  return "value";
}

double number(const ast::Number& n, const std::string& what) {
  const std::string& text = n.text;
  const auto slash = text.find('/');
  auto parse = [&](const std::string& part) {
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(part.c_str(), &end);
    if (errno == ERANGE || !std::isfinite(v)) fail(n, what + " " + text + " is out of range");
    return v;
  };
  if (slash == std::string::npos) return parse(text);
  const double denominator = parse(text.substr(slash + 1));
  if (denominator == 0) fail(n, what + " " + text + " divides by zero");
  return parse(text.substr(0, slash)) / denominator;
}

double number(const ast::Expr& e, const Scope* scope, const std::string& what) {
  const ast::Expr& v = resolve(e, scope);
  if (auto* n = get_if<ast::Number>(v.head); n && v.stages.empty()) return number(*n, what);
  fail(where(v), what + " must be a number, not " + describe(v), unbound_hint(v));
}

std::int64_t integer(const ast::Number& n, const std::string& what) {
  const double v = number(n, what);
  if (v != std::floor(v) || std::fabs(v) > 1e15) fail(n, what + " must be a whole number, not " + n.text);
  return static_cast<std::int64_t>(v);
}

std::int64_t integer(const ast::Expr& e, const Scope* scope, const std::string& what) {
  const ast::Expr& v = resolve(e, scope);
  if (auto* n = get_if<ast::Number>(v.head); n && v.stages.empty()) return integer(*n, what);
  fail(where(v), what + " must be a whole number, not " + describe(v), unbound_hint(v));
}

std::int64_t at_least(const ast::Expr& e, const Scope* scope, const std::string& what, std::int64_t minimum) {
  const std::int64_t v = integer(e, scope, what);
  if (v < minimum) {
    const ast::Expr& r = resolve(e, scope);
    fail(where(r), what + " must be at least " + std::to_string(minimum) + ", not " + std::to_string(v));
  }
  return v;
}

std::pair<int, int> window(const ast::Expr& e, const Scope* scope, const std::string& what) {
  const ast::Expr& v = resolve(e, scope);
  if (auto* d = get_if<ast::Dims>(v.head); d && v.stages.empty()) {
    if (d->values.size() != 2)
      fail(where(v), what + " takes two sizes (height x width), not " + std::to_string(d->values.size()),
           "write it as 3x3, or as one number for a square window");
    if (d->values[0] < 1 || d->values[1] < 1 || d->values[0] > 4096 || d->values[1] > 4096)
      fail(where(v), what + " sides must be between 1 and 4096");
    return {static_cast<int>(d->values[0]), static_cast<int>(d->values[1])};
  }
  if (auto* n = get_if<ast::Number>(v.head); n && v.stages.empty()) {
    const std::int64_t side = integer(*n, what);
    if (side < 1 || side > 4096) fail(where(v), what + " must be between 1 and 4096, not " + n->text);
    return {static_cast<int>(side), static_cast<int>(side)};
  }
  fail(where(v), what + " must be a size such as 3 or 3x3, not " + describe(v));
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  // Levenshtein distance; a difference only in case costs nothing (conv2D).
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t up = row[j];
        const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
        diagonal = up;
      }
    }
    return row[b.size()];
  };
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(3, word.size() / 3 + 1);  // at most 2 edits, more for long words
  for (const std::string& candidate : candidates) {
    if (candidate == word) continue;
    const std::size_t d = distance(word, candidate);
    if (d < best_distance) best = candidate, best_distance = d;
  }
  return best;
}

std::string choice(const ast::Expr& e, const Scope* scope, const std::string& what,
                   const std::vector<std::string>& choices) {
  const ast::Expr& v = resolve(e, scope);
  const std::string word = bare_word(v);
  for (const auto& c : choices)
    if (c == word) return word;
  // A choice written as a string ("relu"): the same word without quotes.
  if (auto* s = get_if<ast::String>(v.head); s && v.stages.empty())
    for (const auto& c : choices)
      if (c == s->text) fail(where(v), what + " is a word, not a string: write " + c + " without quotes");
  const std::string best = closest(word, choices);
  fail(where(v), "unknown " + what + " '" + describe(v) + "'",
       (best.empty() ? "" : "did you mean '" + best + "'? ") + "use one of: " + join(choices));
}

bool boolean(const ast::Expr& e, const Scope* scope, const std::string& what) {
  return choice(e, scope, what, {"true", "false"}) == "true";
}

std::string string_value(const ast::Expr& e, const Scope* scope, const std::string& what) {
  const ast::Expr& v = resolve(e, scope);
  if (auto* s = get_if<ast::String>(v.head); s && v.stages.empty()) {
    // Strings name files and datasets; the system would cut a name at a NUL
    // byte and open a different file than the one written.
    if (s->text.find('\0') != std::string::npos)
      fail(*s, what + " contains a NUL byte", "remove it; file and dataset names cannot contain NUL");
    return s->text;
  }
  fail(where(v), what + " must be a string in double quotes, not " + describe(v));
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out;
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? "x" : "") + std::to_string(shape[i]);
  return out;
}

std::string signature(const std::string& name, const std::vector<Formal>& formals) {
  std::vector<std::string> parts;
  for (const auto& f : formals) parts.push_back(f.required ? f.name : f.name + "=...");
  return name + "(" + join(parts) + ")";
}

BoundArgs::BoundArgs(const ast::Call& call, const std::vector<Formal>& formals, const std::string& what)
    : call_(&call), slots_(formals.size(), nullptr) {
  std::size_t positional = 0;
  bool seen_keyword = false;
  for (const ast::Arg& arg : call.args) {
    if (!arg.keyword) {
      if (seen_keyword)
        fail(arg, "positional argument after a named one in " + what,
             "put positional arguments first: " + signature(call.callee.text, formals));
      if (positional >= formals.size())
        fail(arg,
             what + " takes " + (formals.empty() ? std::string("no arguments")
                                                  : "at most " + std::to_string(formals.size()) + " argument" +
                                                        (formals.size() == 1 ? "" : "s")) +
                 ", but this is argument " + std::to_string(positional + 1),
             "its signature is " + signature(call.callee.text, formals));
      slots_[positional++] = &arg.value;
      continue;
    }
    seen_keyword = true;
    std::size_t i = 0;
    while (i < formals.size() && formals[i].name != arg.keyword->text) ++i;
    if (i == formals.size())
      fail(*arg.keyword, what + " has no argument named '" + arg.keyword->text + "'",
           "its signature is " + signature(call.callee.text, formals));
    if (slots_[i])
      fail(*arg.keyword, "argument '" + formals[i].name + "' of " + what + " is given twice");
    slots_[i] = &arg.value;
  }
  for (std::size_t i = 0; i < formals.size(); ++i)
    if (formals[i].required && !slots_[i])
      fail(call, what + " needs the argument '" + formals[i].name + "'",
           "its signature is " + signature(call.callee.text, formals));
}

}  // namespace tl::check
