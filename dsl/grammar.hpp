// Parsing .tl source text into the AST. The grammar itself lives in
// grammar_def.hpp and is compiled in exactly one translation unit
// (grammar.cpp), because Spirit X3 headers are expensive.
#pragma once

#include "dsl/ast.hpp"
#include "dsl/source.hpp"

namespace tl::dsl {

/// Parses a whole script. Throws DiagnosticError (`file:line:col: error:
/// expected ...`) on the first syntax error, or when the script nests deeper
/// than max_nesting_depth (dsl/nesting.hpp).
ast::Program parse(const SourceFile& source);

}  // namespace tl::dsl
