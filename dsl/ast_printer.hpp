// `tlc --emit=ast`: an indented dump of the AST with line:col of each node.
#pragma once

#include <string>

#include "dsl/ast.hpp"
#include "dsl/source.hpp"

namespace tl::dsl {

std::string print_ast(const ast::Program& program, const SourceFile& source);

}  // namespace tl::dsl
