// Parameter and state updates: compiler/ir/optimizer.hpp's element formula
// (Keras / TF2 optimizer_v2) on floats. They write new tensors; the executor
// commits them after the step.
#include "compiler/ir/optimizer.hpp"
#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

void update(const ir::Node& n, const std::vector<const Tensor*>& in, std::uint64_t step, double lr_scale, Tensor& out,
            std::vector<Tensor>& slots) {
  const int count = ir::slot_count(n.op);
  const ir::Shape shape = shape_of(*in[0]);
  float* np = reshape_to(out, shape);
  slots.resize(static_cast<std::size_t>(count));
  std::array<float*, 2> ns{};
  std::array<const float*, 2> os{};
  for (int s = 0; s < count; ++s) {
    ns[static_cast<std::size_t>(s)] = reshape_to(slots[static_cast<std::size_t>(s)], shape);
    os[static_cast<std::size_t>(s)] = in[static_cast<std::size_t>(2 + s)]->data();
  }
  const std::array<float, 2> scalars = ir::step_scalars(n.op, n.attrs, step, lr_scale);
  const float* p = in[0]->data();
  const float* g = in[1]->data();
  ir::FloatArith ar;
  for (std::size_t i = 0, size = in[0]->size(); i < size; ++i) {
    const std::array<float, 2> old = {count > 0 ? os[0][i] : 0.0f, count > 1 ? os[1][i] : 0.0f};
    const ir::UpdateValues<float> v = ir::update_element(ar, n.op, n.attrs, scalars[0], scalars[1], p[i], g[i], old);
    np[i] = v.param;
    for (int s = 0; s < count; ++s) ns[static_cast<std::size_t>(s)][i] = v.slots[static_cast<std::size_t>(s)];
  }
}

}  // namespace tl::exec::kernels
