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

}  // namespace tl::check
