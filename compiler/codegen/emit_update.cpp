// Optimizer updates and moving averages: compiler/ir/optimizer.hpp's element
// formula on LLVM vectors, one vector pass over the thread's rows of the
// variable. The new value goes to the update's storage (the variable itself
// when the plan updates it in place) and the new slots to theirs when kept.
#include "compiler/codegen/kernel_frame.hpp"
#include "compiler/codegen/op_traits.hpp"
#include "compiler/ir/optimizer.hpp"

namespace tl::codegen {

namespace {

/// update_element's arithmetic on vectors of `t`.
struct IrArith {
  Emitter& e;
  llvm::Type* t;
  llvm::Value* c(float v) const { return e.constant(t, v); }
  llvm::Value* add(llvm::Value* a, llvm::Value* b) const { return e.b.CreateFAdd(a, b); }
  llvm::Value* sub(llvm::Value* a, llvm::Value* b) const { return e.b.CreateFSub(a, b); }
  llvm::Value* mul(llvm::Value* a, llvm::Value* b) const { return e.b.CreateFMul(a, b); }
  llvm::Value* div(llvm::Value* a, llvm::Value* b) const { return e.b.CreateFDiv(a, b); }
  llvm::Value* sqrt(llvm::Value* a) const { return e.sqrt(a); }
};

}  // namespace

void emit_update(KernelFrame& f, ir::NodeId id, RowRange rows) {
  Emitter& e = f.e;
  const ir::Node& n = f.node(id);
  const std::int64_t row = ir::element_count(n.shape) / leading(n.shape);
  const int slots = ir::slot_count(n.op);
  // The per-step scalars (Adam's lr_t, the decay's keep factor) depend on the
  // step: the host computes them (ir::step_scalars).
  llvm::Value* scalar = nullptr;
  llvm::Value* keep = nullptr;
  const int first = f.plan.scalar_of[static_cast<std::size_t>(id)];
  auto step_scalar = [&](int k) { return e.splat(e.load(e.f32, f.arg(StepSlot::Scalars, e.ptr), first + k), e.width); };
  const int count = ir::step_scalar_count(n.op, n.attrs);
  if (count > 0) scalar = step_scalar(0);
  if (count > 1) keep = step_scalar(1);
  IrArith ar{e, e.vec(e.width, e.f32)};
  e.vector_loop(e.mul(rows.first, row), e.mul(rows.last, row), row % e.width == 0, [&](llvm::Value* i, llvm::Value* mask) {
    auto value = [&](std::size_t input) { return f.element(n.inputs[input], i, e.width, mask); };
    std::array<llvm::Value*, 2> old{};
    for (int s = 0; s < slots; ++s) old[static_cast<std::size_t>(s)] = value(2 + static_cast<std::size_t>(s));
    const ir::UpdateValues<llvm::Value*> v = ir::update_element(ar, n.op, n.attrs, scalar, keep, value(0), value(1), old);
    for (int s = 0; s < slots; ++s)
      if (llvm::Value* to = f.new_slot(id, static_cast<std::size_t>(s))) e.vstore(v.slots[static_cast<std::size_t>(s)], to, i, mask);
    e.vstore(v.param, f.ptr(id), i, mask);
  });
}

}  // namespace tl::codegen
