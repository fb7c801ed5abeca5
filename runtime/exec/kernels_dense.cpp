// Last-axis (per-channel) kernels, reshape, matmul and softmax. A tensor
// (...,C) is viewed as rows of C contiguous values.
#include <algorithm>
#include <cmath>

#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

namespace {

std::size_t channels(const Tensor& x) { return x.shape().back(); }

/// Per-channel sums of x (...,C) in double, rows in order.
std::vector<double> channel_totals(const Tensor& x) {
  const std::size_t C = channels(x), rows = x.size() / C;
  std::vector<double> acc(C, 0.0);
  const float* px = x.data();
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < C; ++k) acc[k] += px[r * C + k];
  return acc;
}

}  // namespace

namespace {

/// out[r, k] = f(x[r, k], c[k]) for x (...,C) and c (C).
template <class F>
void per_channel(const Tensor& x, const Tensor& c, Tensor& out, F f) {
  float* __restrict o = reshape_to(out, shape_of(x));
  const float* px = x.data();
  const float* pc = c.data();
  const std::size_t C = channels(x), rows = x.size() / C;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < C; ++k) o[r * C + k] = f(px[r * C + k], pc[k]);
}

}  // namespace

void bias_add(const Tensor& x, const Tensor& c, Tensor& out) {
  per_channel(x, c, out, [](float v, float b) { return v + b; });
}

void channel_mul(const Tensor& x, const Tensor& c, Tensor& out) {
  per_channel(x, c, out, [](float v, float m) { return v * m; });
}

void channel_sum(const Tensor& x, Tensor& out) {
  const std::vector<double> acc = channel_totals(x);
  float* o = reshape_to(out, {static_cast<std::int64_t>(acc.size())});
  for (std::size_t k = 0; k < acc.size(); ++k) o[k] = static_cast<float>(acc[k]);
}

void channel_mean(const Tensor& x, Tensor& out) {
  const std::vector<double> acc = channel_totals(x);
  const auto rows = static_cast<double>(x.size() / channels(x));
  float* o = reshape_to(out, {static_cast<std::int64_t>(acc.size())});
  for (std::size_t k = 0; k < acc.size(); ++k) o[k] = static_cast<float>(acc[k] / rows);
}

void concat(const Tensor& a, const Tensor& b, Tensor& out) {
  const ir::Shape as = shape_of(a);
  const std::int64_t ca = as.back(), cb = shape_of(b).back(), rows = ir::element_count(as) / std::max<std::int64_t>(ca, 1);
  ir::Shape shape = as;
  shape.back() = ca + cb;
  float* o = reshape_to(out, shape);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::copy(a.data() + r * ca, a.data() + (r + 1) * ca, o + r * (ca + cb));
    std::copy(b.data() + r * cb, b.data() + (r + 1) * cb, o + r * (ca + cb) + ca);
  }
}

void slice_channels(const Tensor& x, std::int64_t offset, const ir::Shape& shape, Tensor& out) {
  const std::int64_t c = shape_of(x).back(), n = shape.back(), rows = ir::element_count(shape) / std::max<std::int64_t>(n, 1);
  float* o = reshape_to(out, shape);
  for (std::int64_t r = 0; r < rows; ++r) std::copy(x.data() + r * c + offset, x.data() + r * c + offset + n, o + r * n);
}

void pad_channels(const Tensor& x, std::int64_t offset, const ir::Shape& shape, Tensor& out) {
  const std::int64_t n = shape_of(x).back(), c = shape.back(), rows = ir::element_count(shape) / std::max<std::int64_t>(c, 1);
  float* o = fill_to(out, shape);
  for (std::int64_t r = 0; r < rows; ++r) std::copy(x.data() + r * n, x.data() + (r + 1) * n, o + r * c + offset);
}

void channel_broadcast(const Tensor& c, const ir::Shape& shape, Tensor& out) {
  float* o = reshape_to(out, shape);
  const std::size_t C = c.size(), rows = out.size() / C;
  for (std::size_t r = 0; r < rows; ++r) std::copy(c.data(), c.data() + C, o + r * C);
}

void reshape(const Tensor& x, const ir::Shape& shape, Tensor& out) {
  std::copy(x.data(), x.data() + x.size(), reshape_to(out, shape));
}

void matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Tensor& out) {
  // Element (i,k) of op(a) is a[i*sa_row + k*sa_col]; rows of b are
  // contiguous, which the two main loop orders below exploit.
  const std::size_t a0 = a.shape()[0], a1 = a.shape()[1], b0 = b.shape()[0], b1 = b.shape()[1];
  const std::size_t M = trans_a ? a1 : a0, K = trans_a ? a0 : a1, N = trans_b ? b0 : b1;
  const std::size_t sa_row = trans_a ? 1 : a1, sa_col = trans_a ? a1 : 1;
  float* po = fill_to(out, {static_cast<std::int64_t>(M), static_cast<std::int64_t>(N)});
  const float* pa = a.data();
  const float* pb = b.data();
  if (!trans_b) {
    // out[i,:] += op(a)[i,k] * b[k,:]
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t k = 0; k < K; ++k) axpy(po + i * N, pb + k * N, pa[i * sa_row + k * sa_col], N);
  } else if (!trans_a) {
    // out[i,j] = a[i,:] . b[j,:]
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) po[i * N + j] = dot(pa + i * K, pb + j * K, K);
  } else {
    // out[i,j] = sum_k a[k,i] * b[j,k]
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) {
        float sum = 0.0f;
        for (std::size_t k = 0; k < K; ++k) sum += pa[k * M + i] * pb[j * K + k];
        po[i * N + j] = sum;
      }
  }
}

void softmax(const Tensor& x, Tensor& out) {
  float* po = reshape_to(out, shape_of(x));
  const std::size_t C = channels(x), rows = x.size() / C;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * C;
    float* o = po + r * C;
    // Subtract the row max so exp never overflows.
    const float m = *std::max_element(in, in + C);
    double sum = 0.0;
    for (std::size_t k = 0; k < C; ++k) sum += o[k] = std::exp(in[k] - m);
    for (std::size_t k = 0; k < C; ++k) o[k] = static_cast<float>(o[k] / sum);
  }
}

void softmax_grad(const Tensor& y, const Tensor& g, Tensor& out) {
  float* po = reshape_to(out, shape_of(y));
  const std::size_t C = channels(y), rows = y.size() / C;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* py = y.data() + r * C;
    const float* pg = g.data() + r * C;
    double dot_gy = 0.0;
    for (std::size_t k = 0; k < C; ++k) dot_gy += static_cast<double>(pg[k]) * py[k];
    for (std::size_t k = 0; k < C; ++k) po[r * C + k] = static_cast<float>(py[k] * (pg[k] - dot_gy));
  }
}

}  // namespace tl::exec::kernels
