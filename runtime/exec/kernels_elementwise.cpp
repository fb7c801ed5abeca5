// Elementwise kernels, activation gradients and the dropout mask, plus the
// tensor allocation helpers shared by all kernels.
#include <cmath>

#include "runtime/exec/kernels.hpp"
#include "runtime/rng/philox.hpp"

namespace tl::exec::kernels {

Tensor empty(const ir::Shape& shape) {
  return Tensor::from_shape(std::vector<std::size_t>(shape.begin(), shape.end()));
}

Tensor filled(const ir::Shape& shape, float value) {
  Tensor t = empty(shape);
  std::fill(t.data(), t.data() + t.size(), value);
  return t;
}

Tensor zeros(const ir::Shape& shape) { return filled(shape, 0.0f); }

ir::Shape shape_of(const Tensor& t) { return ir::Shape(t.shape().begin(), t.shape().end()); }

namespace {

template <class F>
Tensor map1(const Tensor& x, F f) {
  Tensor out = empty(shape_of(x));
  const float* in = x.data();
  float* o = out.data();
  for (std::size_t i = 0, n = x.size(); i < n; ++i) o[i] = f(in[i]);
  return out;
}

template <class F>
Tensor map2(const Tensor& a, const Tensor& b, F f) {
  Tensor out = empty(shape_of(a));
  const float* pa = a.data();
  const float* pb = b.data();
  float* o = out.data();
  for (std::size_t i = 0, n = a.size(); i < n; ++i) o[i] = f(pa[i], pb[i]);
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return map2(a, b, [](float u, float v) { return u + v; }); }
Tensor mul(const Tensor& a, const Tensor& b) { return map2(a, b, [](float u, float v) { return u * v; }); }
Tensor neg(const Tensor& x) { return map1(x, [](float u) { return -u; }); }
Tensor square(const Tensor& x) { return map1(x, [](float u) { return u * u; }); }
Tensor rsqrt(const Tensor& x, float eps) { return map1(x, [eps](float u) { return 1.0f / std::sqrt(u + eps); }); }
Tensor scale(const Tensor& x, float value) { return map1(x, [value](float u) { return u * value; }); }
Tensor relu(const Tensor& x) { return map1(x, [](float u) { return u > 0.0f ? u : 0.0f; }); }

Tensor sigmoid(const Tensor& x) {
  // Two branches so exp never overflows.
  return map1(x, [](float u) {
    if (u >= 0.0f) return 1.0f / (1.0f + std::exp(-u));
    const float e = std::exp(u);
    return e / (1.0f + e);
  });
}

Tensor tanh(const Tensor& x) { return map1(x, [](float u) { return std::tanh(u); }); }

Tensor relu_grad(const Tensor& y, const Tensor& g) {
  return map2(y, g, [](float yv, float gv) { return yv > 0.0f ? gv : 0.0f; });
}
Tensor sigmoid_grad(const Tensor& y, const Tensor& g) {
  return map2(y, g, [](float yv, float gv) { return gv * yv * (1.0f - yv); });
}
Tensor tanh_grad(const Tensor& y, const Tensor& g) {
  return map2(y, g, [](float yv, float gv) { return gv * (1.0f - yv * yv); });
}

Tensor dropout_mask(const ir::Shape& shape, double rate, std::uint64_t stream, std::uint64_t seed,
                    std::uint64_t step) {
  Tensor out = empty(shape);
  const float keep = rate < 1.0 ? static_cast<float>(1.0 / (1.0 - rate)) : 0.0f;
  float* o = out.data();
  for (std::size_t i = 0, n = out.size(); i < n; ++i)
    // Compared in double, exactly as the op is specified.
    o[i] = static_cast<double>(rng::uniform(seed, stream, static_cast<std::uint32_t>(step), i)) >= rate ? keep : 0.0f;
  return out;
}

}  // namespace tl::exec::kernels
