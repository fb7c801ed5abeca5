// Last-axis (per-channel) kernels, reshape, matmul and softmax. A tensor
// (...,C) is viewed as rows of C contiguous values.
#include <algorithm>
#include <cmath>

#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

namespace {

std::size_t channels(const Tensor& x) { return x.shape().back(); }

}  // namespace

Tensor bias_add(const Tensor& x, const Tensor& c) {
  Tensor out = empty(shape_of(x));
  const std::size_t C = channels(x), rows = x.size() / C;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < C; ++k) out.data()[r * C + k] = x.data()[r * C + k] + c.data()[k];
  return out;
}

Tensor channel_mul(const Tensor& x, const Tensor& c) {
  Tensor out = empty(shape_of(x));
  const std::size_t C = channels(x), rows = x.size() / C;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < C; ++k) out.data()[r * C + k] = x.data()[r * C + k] * c.data()[k];
  return out;
}

Tensor channel_sum(const Tensor& x) {
  const std::size_t C = channels(x), rows = x.size() / C;
  std::vector<double> acc(C, 0.0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < C; ++k) acc[k] += x.data()[r * C + k];
  Tensor out = empty({static_cast<std::int64_t>(C)});
  for (std::size_t k = 0; k < C; ++k) out.data()[k] = static_cast<float>(acc[k]);
  return out;
}

Tensor channel_mean(const Tensor& x) {
  Tensor out = channel_sum(x);
  const auto rows = static_cast<double>(x.size() / channels(x));
  for (std::size_t k = 0; k < out.size(); ++k) out.data()[k] = static_cast<float>(out.data()[k] / rows);
  return out;
}

Tensor channel_broadcast(const Tensor& c, const ir::Shape& shape) {
  Tensor out = empty(shape);
  const std::size_t C = c.size(), rows = out.size() / C;
  for (std::size_t r = 0; r < rows; ++r) std::copy(c.data(), c.data() + C, out.data() + r * C);
  return out;
}

Tensor reshape(const Tensor& x, const ir::Shape& shape) {
  Tensor out = empty(shape);
  std::copy(x.data(), x.data() + x.size(), out.data());
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  // Element (i,k) of op(a) is a[i*sa_row + k*sa_col]; rows of b (or of b^T's
  // source) are contiguous, which the two loop orders below exploit.
  const std::size_t a0 = a.shape()[0], a1 = a.shape()[1], b0 = b.shape()[0], b1 = b.shape()[1];
  const std::size_t M = trans_a ? a1 : a0, K = trans_a ? a0 : a1, N = trans_b ? b0 : b1;
  const std::size_t sa_row = trans_a ? 1 : a1, sa_col = trans_a ? a1 : 1;
  Tensor out = zeros({static_cast<std::int64_t>(M), static_cast<std::int64_t>(N)});
  const float* pa = a.data();
  const float* pb = b.data();
  float* po = out.data();
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
  return out;
}

Tensor softmax(const Tensor& x) {
  Tensor out = empty(shape_of(x));
  const std::size_t C = channels(x), rows = x.size() / C;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * C;
    float* o = out.data() + r * C;
    // Subtract the row max so exp never overflows.
    const float m = *std::max_element(in, in + C);
    double sum = 0.0;
    for (std::size_t k = 0; k < C; ++k) sum += o[k] = std::exp(in[k] - m);
    for (std::size_t k = 0; k < C; ++k) o[k] = static_cast<float>(o[k] / sum);
  }
  return out;
}

Tensor softmax_grad(const Tensor& y, const Tensor& g) {
  Tensor out = empty(shape_of(y));
  const std::size_t C = channels(y), rows = y.size() / C;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* py = y.data() + r * C;
    const float* pg = g.data() + r * C;
    double dot = 0.0;
    for (std::size_t k = 0; k < C; ++k) dot += static_cast<double>(pg[k]) * py[k];
    for (std::size_t k = 0; k < C; ++k) out.data()[r * C + k] = static_cast<float>(py[k] * (pg[k] - dot));
  }
  return out;
}

}  // namespace tl::exec::kernels
