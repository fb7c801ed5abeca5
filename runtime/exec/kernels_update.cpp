// Parameter and state updates with Keras (TF2 optimizer_v2) semantics. They
// write new tensors; the executor commits them after the step.
#include <cmath>

#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

void adam_update(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const ir::Attrs& a,
                 std::uint64_t step, Tensor& new_p, Tensor& new_m, Tensor& new_v) {
  // t = step (1-based); lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
  // m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr_t m / (sqrt(v) + eps)
  const auto t = static_cast<double>(step);
  const auto lr_t = static_cast<float>(a.lr * std::sqrt(1.0 - std::pow(a.beta2, t)) / (1.0 - std::pow(a.beta1, t)));
  const auto b1 = static_cast<float>(a.beta1), b2 = static_cast<float>(a.beta2), eps = static_cast<float>(a.eps);
  const ir::Shape shape = shape_of(p);
  float* np = reshape_to(new_p, shape);
  float* nm = reshape_to(new_m, shape);
  float* nv = reshape_to(new_v, shape);
  for (std::size_t i = 0, n = p.size(); i < n; ++i) {
    const float gi = g.data()[i];
    nm[i] = b1 * m.data()[i] + (1.0f - b1) * gi;
    nv[i] = b2 * v.data()[i] + (1.0f - b2) * gi * gi;
    np[i] = p.data()[i] - lr_t * nm[i] / (std::sqrt(nv[i]) + eps);
  }
}

void sgd_update(const Tensor& p, const Tensor& g, const Tensor& velocity, const ir::Attrs& a, Tensor& new_p,
                Tensor& new_velocity) {
  // v = momentum v - lr g;  p += v  (nesterov: p += momentum v - lr g).
  // With momentum 0 (and no nesterov) this is p -= lr g, and v stays as it was.
  const auto lr = static_cast<float>(a.lr), mu = static_cast<float>(a.momentum);
  const bool stateful = a.momentum != 0.0 || a.nesterov;
  const ir::Shape shape = shape_of(p);
  float* np = reshape_to(new_p, shape);
  float* nv = reshape_to(new_velocity, shape);
  for (std::size_t i = 0, n = p.size(); i < n; ++i) {
    const float gi = g.data()[i];
    if (!stateful) {
      np[i] = p.data()[i] - lr * gi;
      nv[i] = velocity.data()[i];
      continue;
    }
    nv[i] = mu * velocity.data()[i] - lr * gi;
    np[i] = p.data()[i] + (a.nesterov ? mu * nv[i] - lr * gi : nv[i]);
  }
}

void moving_average(const Tensor& state, const Tensor& value, const ir::Attrs& a, Tensor& out) {
  const auto mu = static_cast<float>(a.momentum);
  float* o = reshape_to(out, shape_of(state));
  for (std::size_t i = 0, n = state.size(); i < n; ++i) o[i] = mu * state.data()[i] + (1.0f - mu) * value.data()[i];
}

}  // namespace tl::exec::kernels
