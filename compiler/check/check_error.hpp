// CheckError: thrown by the checker's helpers at the first problem inside a
// statement; the statement loop turns it into a file:line:col diagnostic.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "dsl/ast.hpp"

namespace tl::check {

/// A second place an error involves, shown after it as `note:`.
struct CheckNote {
  std::uint32_t offset = 0, length = 0;
  std::string message;
};

class CheckError : public std::runtime_error {
 public:
  CheckError(std::uint32_t offset, std::uint32_t length, std::string message, std::string hint = {},
             std::vector<CheckNote> notes = {})
      : std::runtime_error(message), offset(offset), length(length), message(std::move(message)), hint(std::move(hint)),
        notes(std::move(notes)) {}
  std::uint32_t offset, length;
  std::string message, hint;
  std::vector<CheckNote> notes;
};

/// Thrown when a statement uses a name whose own definition already failed:
/// the statement is skipped without a second, derivative error.
struct PoisonedName {};

[[noreturn]] inline void fail(const ast::Located& at, std::string message, std::string hint = {}) {
  throw CheckError(at.offset, at.length, std::move(message), std::move(hint));
}

}  // namespace tl::check
