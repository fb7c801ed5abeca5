// Collective ops (ops.def, category Collective): thread 0 hands the vector to
// the host (StepArgs::process_mean), which combines it over the processes of
// a data-parallel run; the plan puts barriers on both sides (Split::Single).
#include <stdexcept>

#include "compiler/codegen/kernel_frame.hpp"

namespace tl::codegen {

void emit_collective(KernelFrame& f) {
  Emitter& e = f.e;
  const ir::NodeId id = f.kernel.nodes.front();
  const ir::Node& n = f.node(id);
  llvm::Value* in = f.ptr(n.inputs[0]);
  llvm::Value* out = f.ptr(id);
  if (!in || !out) throw std::logic_error("process_mean: its input and output must live in memory");
  auto* type = llvm::FunctionType::get(e.b.getVoidTy(), {e.ptr, e.ptr, e.ptr, e.i64}, false);
  e.when(e.b.CreateICmpEQ(f.tid, e.c64(0)), [&] {
    e.b.CreateCall(type, f.arg(StepSlot::ProcessMean, e.ptr),
                   {f.arg(StepSlot::ProcessState, e.ptr), in, out, e.c64(ir::element_count(n.shape))});
  });
}

}  // namespace tl::codegen
