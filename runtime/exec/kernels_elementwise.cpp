// Elementwise kernels, activation gradients and the dropout mask, plus the
// output-buffer helpers shared by all kernels.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "compiler/ir/activation.hpp"
#include "runtime/exec/kernels.hpp"
#include "compiler/ir/philox.hpp"

namespace tl::exec::kernels {

ir::Shape shape_of(const Tensor& t) { return ir::Shape(t.shape().begin(), t.shape().end()); }

float* reshape_to(Tensor& out, const ir::Shape& shape) {
  out.resize(std::vector<std::size_t>(shape.begin(), shape.end()));
  return out.data();
}

float* fill_to(Tensor& out, const ir::Shape& shape, float value) {
  float* o = reshape_to(out, shape);
  if (value == 0.0f)
    std::memset(o, 0, out.size() * sizeof(float));  // +0.0f is all zero bits; memset is much faster
  else
    std::fill(o, o + out.size(), value);
  return o;
}

namespace {

/// Two branches so exp never overflows; the JIT computes it the same way.
float sigmoid_of(float u) {
  if (u >= 0.0f) return 1.0f / (1.0f + std::exp(-u));
  const float e = std::exp(u);
  return e / (1.0f + e);
}

template <class F>
void map1(const Tensor& x, Tensor& out, F f) {
  float* o = reshape_to(out, shape_of(x));
  const float* in = x.data();
  for (std::size_t i = 0, n = x.size(); i < n; ++i) o[i] = f(in[i]);
}

template <class F>
void map2(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  float* o = reshape_to(out, shape_of(a));
  const float* pa = a.data();
  const float* pb = b.data();
  for (std::size_t i = 0, n = a.size(); i < n; ++i) o[i] = f(pa[i], pb[i]);
}

}  // namespace

void add(const Tensor& a, const Tensor& b, Tensor& out) { map2(a, b, out, [](float u, float v) { return u + v; }); }
void mul(const Tensor& a, const Tensor& b, Tensor& out) { map2(a, b, out, [](float u, float v) { return u * v; }); }
void neg(const Tensor& x, Tensor& out) { map1(x, out, [](float u) { return -u; }); }
void square(const Tensor& x, Tensor& out) { map1(x, out, [](float u) { return u * u; }); }
void rsqrt(const Tensor& x, float eps, Tensor& out) {
  map1(x, out, [eps](float u) { return 1.0f / std::sqrt(u + eps); });
}
void scale(const Tensor& x, float value, Tensor& out) { map1(x, out, [value](float u) { return u * value; }); }
void relu(const Tensor& x, Tensor& out) { map1(x, out, [](float u) { return u > 0.0f ? u : 0.0f; }); }

void sigmoid(const Tensor& x, Tensor& out) { map1(x, out, sigmoid_of); }

void tanh(const Tensor& x, Tensor& out) { map1(x, out, [](float u) { return std::tanh(u); }); }

void leaky_relu(const Tensor& x, float alpha, Tensor& out) {
  map1(x, out, [alpha](float u) { return u > 0.0f ? u : alpha * u; });
}
void gelu(const Tensor& x, Tensor& out) {
  map1(x, out, [](float u) { return (0.5f * u) * (1.0f + std::erf(u * ir::gelu_sqrt_half)); });
}

void clip(const Tensor& x, float lo, float hi, Tensor& out) {
  map1(x, out, [lo, hi](float u) { return std::min(std::max(u, lo), hi); });
}
void hard_sigmoid(const Tensor& x, float alpha, float beta, Tensor& out) {
  map1(x, out, [alpha, beta](float u) { return std::min(std::max(alpha * u + beta, 0.0f), 1.0f); });
}
void hard_swish(const Tensor& x, Tensor& out) {
  map1(x, out, [](float u) { return u * std::min(std::max(u + 3.0f, 0.0f), 6.0f) / 6.0f; });
}
void swish(const Tensor& x, Tensor& out) { map1(x, out, [](float u) { return u * sigmoid_of(u); }); }

void relu_grad(const Tensor& y, const Tensor& g, Tensor& out) {
  map2(y, g, out, [](float yv, float gv) { return yv > 0.0f ? gv : 0.0f; });
}
void sigmoid_grad(const Tensor& y, const Tensor& g, Tensor& out) {
  map2(y, g, out, [](float yv, float gv) { return gv * yv * (1.0f - yv); });
}
void tanh_grad(const Tensor& y, const Tensor& g, Tensor& out) {
  map2(y, g, out, [](float yv, float gv) { return gv * (1.0f - yv * yv); });
}

void leaky_relu_grad(const Tensor& y, const Tensor& g, float alpha, Tensor& out) {
  map2(y, g, out, [alpha](float yv, float gv) { return yv > 0.0f ? gv : alpha * gv; });
}
void gelu_grad(const Tensor& x, const Tensor& g, Tensor& out) {
  map2(x, g, out, [](float xv, float gv) {
    const float cdf = 0.5f * (1.0f + std::erf(xv * ir::gelu_sqrt_half));
    const float pdf = std::exp(-0.5f * (xv * xv)) * ir::gelu_inv_sqrt_2pi;
    return gv * (cdf + xv * pdf);
  });
}

void clip_grad(const Tensor& y, const Tensor& g, float lo, float hi, Tensor& out) {
  map2(y, g, out, [lo, hi](float yv, float gv) { return yv > lo && yv < hi ? gv : 0.0f; });
}
void hard_sigmoid_grad(const Tensor& y, const Tensor& g, float alpha, Tensor& out) {
  map2(y, g, out, [alpha](float yv, float gv) { return yv > 0.0f && yv < 1.0f ? alpha * gv : 0.0f; });
}
void hard_swish_grad(const Tensor& x, const Tensor& g, Tensor& out) {
  map2(x, g, out, [](float xv, float gv) {
    if (xv < -3.0f) return 0.0f;
    return xv <= 3.0f ? gv * (xv / 3.0f + 0.5f) : gv;
  });
}
void swish_grad(const Tensor& x, const Tensor& g, Tensor& out) {
  map2(x, g, out, [](float xv, float gv) {
    const float s = sigmoid_of(xv);
    return gv * (s + xv * (s * (1.0f - s)));
  });
}

void dropout_mask(const ir::Shape& shape, double rate, std::uint64_t stream, std::uint64_t seed, std::uint64_t step,
                  std::uint64_t row_offset, Tensor& out) {
  float* o = reshape_to(out, shape);
  const float keep = rate < 1.0 ? static_cast<float>(1.0 / (1.0 - rate)) : 0.0f;
  const std::size_t first = shape.empty() ? 0 : static_cast<std::size_t>(row_offset) * (out.size() / static_cast<std::size_t>(shape[0]));
  for (std::size_t i = 0, n = out.size(); i < n; ++i)
    // Compared in double, exactly as the op is specified.
    o[i] = static_cast<double>(rng::uniform(seed, stream, static_cast<std::uint32_t>(step), first + i)) >= rate ? keep : 0.0f;
}

}  // namespace tl::exec::kernels
