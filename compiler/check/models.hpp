// Instantiating a model definition: binds the model's parameters to the call
// site's arguments, then checks every layer line in order, resolving layer
// names, inferring every output shape and creating the parameter specs.
#pragma once

#include <string>

#include "compiler/check/experiment.hpp"
#include "dsl/ast.hpp"

namespace tl::check {

/// `instance = def(args)`. Throws CheckError at the first problem, pointing at
/// the layer line or the call-site argument responsible.
ModelSpec instantiate(const ast::ModelDef& def, const ast::Call& call, const std::string& instance_name);

/// Appends layer lines to `spec` (each taking the current output unless it
/// says `from`), inferring shapes and naming layers; used by instantiate and
/// by `append { ... }` in transfers. `where_name` names the model in messages.
struct Scope;
void append_lines(ModelSpec& spec, const std::vector<ast::LayerLine>& lines, const Scope& scope,
                  const std::string& where_name);

}  // namespace tl::check
