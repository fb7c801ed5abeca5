// Lowering a planned step graph to an LLVM module (emit_step.cpp). Private to
// the codegen: callers use compile.hpp, which hides LLVM.
#pragma once

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <memory>
#include <string>
#include <vector>

#include "compiler/codegen/jit_engine.hpp"
#include "compiler/codegen/step_plan.hpp"

namespace tl::codegen {

/// The step of `graph` as `plan` lays it out, with vectors of `width` floats,
/// in `parts` modules of about equal size: part 0 holds `entry_name`, a
/// StepFn (step_abi.hpp), which calls the passes the other parts define.
/// Unoptimised; throws std::logic_error if the IR does not verify (a codegen bug).
std::vector<StepModule> build_step_modules(const ir::Graph& graph, const StepPlan& plan, const std::string& entry_name,
                                           int width, int parts);

}  // namespace tl::codegen
