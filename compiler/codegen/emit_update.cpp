// Optimizer updates and moving averages (Keras / TF2 formulas, as in
// kernels_update.cpp), one vector pass over the thread's rows of the
// variable. The new value goes to the update's storage (the variable itself
// when the plan updates it in place) and the new slots to theirs when kept.
#include "compiler/codegen/kernel_frame.hpp"
#include "compiler/codegen/op_traits.hpp"

namespace tl::codegen {

using ir::OpKind;

namespace {

/// Writes the update's results for elements [i, i + lanes) (`mask` active).
void update_at(KernelFrame& f, const ir::Node& n, ir::NodeId id, llvm::Value* lr_t, llvm::Value* i, int lanes,
               llvm::Value* mask) {
  Emitter& e = f.e;
  auto& b = e.b;
  const ir::Attrs& a = n.attrs;
  llvm::Type* t = e.vec(lanes, e.f32);
  auto k = [&](float v) { return e.constant(t, v); };
  auto value = [&](std::size_t input) { return f.element(n.inputs[input], i, lanes, mask); };
  auto keep = [&](std::size_t slot, llvm::Value* v) {
    if (llvm::Value* to = f.new_slot(id, slot)) e.vstore(v, to, i, mask);
  };
  llvm::Value* out = f.ptr(id);
  switch (ir::sub_op<ir::UpdateOp>(n.op)) {
    case ir::UpdateOp::AdamUpdate: {
      // m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr_t m / (sqrt(v) + eps)
      const auto b1 = static_cast<float>(a.beta1), b2 = static_cast<float>(a.beta2), eps = static_cast<float>(a.eps);
      llvm::Value* g = value(1);
      llvm::Value* m = b.CreateFAdd(b.CreateFMul(k(b1), value(2)), b.CreateFMul(k(1.0f - b1), g));
      llvm::Value* v = b.CreateFAdd(b.CreateFMul(k(b2), value(3)), b.CreateFMul(b.CreateFMul(k(1.0f - b2), g), g));
      llvm::Value* step = b.CreateFDiv(b.CreateFMul(e.splat(lr_t, lanes), m), b.CreateFAdd(e.sqrt(v), k(eps)));
      llvm::Value* p = b.CreateFSub(value(0), step);
      keep(0, m);
      keep(1, v);
      e.vstore(p, out, i, mask);
      return;
    }
    case ir::UpdateOp::SgdUpdate: {
      // v = momentum v - lr g;  p += v  (nesterov: p += momentum v - lr g); plain: p -= lr g
      const auto lr = static_cast<float>(a.lr), mu = static_cast<float>(a.momentum);
      llvm::Value* g = value(1);
      if (a.momentum == 0.0 && !a.nesterov) {
        keep(0, value(2));
        e.vstore(b.CreateFSub(value(0), b.CreateFMul(k(lr), g)), out, i, mask);
        return;
      }
      llvm::Value* v = b.CreateFSub(b.CreateFMul(k(mu), value(2)), b.CreateFMul(k(lr), g));
      llvm::Value* delta = a.nesterov ? b.CreateFSub(b.CreateFMul(k(mu), v), b.CreateFMul(k(lr), g)) : v;
      keep(0, v);
      e.vstore(b.CreateFAdd(value(0), delta), out, i, mask);
      return;
    }
    case ir::UpdateOp::MovingAverage: {
      const auto mu = static_cast<float>(a.momentum);
      e.vstore(b.CreateFAdd(b.CreateFMul(k(mu), value(0)), b.CreateFMul(k(1.0f - mu), value(1))), out, i, mask);
      return;
    }
  }
}

}  // namespace

void emit_update(KernelFrame& f, ir::NodeId id, RowRange rows) {
  Emitter& e = f.e;
  const ir::Node& n = f.node(id);
  const std::int64_t row = ir::element_count(n.shape) / leading(n.shape);
  // lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) depends on the step: the host computes it.
  llvm::Value* lr_t = nullptr;
  if (n.op == OpKind::AdamUpdate)
    lr_t = e.load(e.f32, f.arg(StepSlot::Scalars, e.ptr), f.plan.scalar_of[static_cast<std::size_t>(id)]);
  e.vector_loop(e.mul(rows.first, row), e.mul(rows.last, row), row % e.width == 0,
                [&](llvm::Value* i, llvm::Value* mask) { update_at(f, n, id, lr_t, i, e.width, mask); });
}

}  // namespace tl::codegen
