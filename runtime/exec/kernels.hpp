// Private to the reference executor: one plain-loop kernel per op, over the
// contiguous row-major data of tl::Tensor. Shapes have been checked by the IR
// verifier, so kernels trust them. Long reductions (over the batch or an image)
// accumulate in double, short ones (over a channel axis) in float; every
// reduction has a fixed order, so results are repeatable.
// Legend: B batch, H/W spatial, C channels, K kernel extent, I/O in/out channels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "compiler/ir/graph.hpp"
#include "runtime/tensor.hpp"

namespace tl::exec::kernels {

Tensor empty(const ir::Shape& shape);
Tensor zeros(const ir::Shape& shape);
Tensor filled(const ir::Shape& shape, float value);
ir::Shape shape_of(const Tensor& t);

/// Sliding-window geometry over an input (B,H,W,C), shared by conv and pooling:
/// output extent OH x OW, window KH x KW, strides SH x SW, and the padding PH,
/// PW before the first row/column (ir::window_axis).
struct Window {
  std::int64_t B, H, W, C, OH, OW, KH, KW, SH, SW, PH, PW;
};
Window window(const ir::Shape& x, std::int64_t kh, std::int64_t kw, const ir::Attrs& attrs);

/// The window of output (oh, ow) starts at input cell (top, left); its taps
/// kh in [kh_lo, kh_hi), kw in [kw_lo, kw_hi) are the ones inside the input
/// (the others fall on padding). Tap (kh, kw) reads input (top + kh, left + kw).
struct Taps {
  std::int64_t top, left, kh_lo, kh_hi, kw_lo, kw_hi;
  std::int64_t count() const { return (kh_hi - kh_lo) * (kw_hi - kw_lo); }
};
inline Taps taps(const Window& g, std::int64_t oh, std::int64_t ow) {
  const std::int64_t top = oh * g.SH - g.PH, left = ow * g.SW - g.PW;
  return {top,
          left,
          std::max<std::int64_t>(0, -top),
          std::min(g.KH, g.H - top),
          std::max<std::int64_t>(0, -left),
          std::min(g.KW, g.W - left)};
}

/// y[0, n) += a * x[0, n). Fixed-width blocks (8, then 4) let -O2 vectorize
/// it; channel counts are often small, so the tail matters.
inline void axpy(float* __restrict y, const float* __restrict x, float a, std::size_t n) {
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (std::size_t v = 0; v < 8; ++v) y[j + v] += a * x[j + v];
  if (j + 4 <= n) {
    for (std::size_t v = 0; v < 4; ++v) y[j + v] += a * x[j + v];
    j += 4;
  }
  for (; j < n; ++j) y[j] += a * x[j];
}

/// sum x[j] * y[j] over [0, n), in 4 interleaved partial sums (a fixed order).
inline float dot(const float* __restrict x, const float* __restrict y, std::size_t n) {
  float lane[4] = {};
  std::size_t j = 0;
  for (; j + 4 <= n; j += 4)
    for (std::size_t v = 0; v < 4; ++v) lane[v] += x[j + v] * y[j + v];
  float sum = (lane[0] + lane[1]) + (lane[2] + lane[3]);
  for (; j < n; ++j) sum += x[j] * y[j];
  return sum;
}

// --- elementwise (kernels_elementwise.cpp) ----------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
Tensor square(const Tensor& x);
Tensor rsqrt(const Tensor& x, float eps);
Tensor scale(const Tensor& x, float value);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// Activation gradients take the forward output y and the adjoint g.
Tensor relu_grad(const Tensor& y, const Tensor& g);
Tensor sigmoid_grad(const Tensor& y, const Tensor& g);
Tensor tanh_grad(const Tensor& y, const Tensor& g);
/// Element i is 1/(1-rate) if Philox(seed, stream, step, i) >= rate, else 0.
Tensor dropout_mask(const ir::Shape& shape, double rate, std::uint64_t stream, std::uint64_t seed, std::uint64_t step);

// --- last-axis ops and matmul (kernels_dense.cpp) ----------------------------
Tensor bias_add(const Tensor& x, const Tensor& c);     // (...,C) + (C)
Tensor channel_mul(const Tensor& x, const Tensor& c);  // (...,C) * (C)
Tensor channel_sum(const Tensor& x);                   // (...,C) -> (C)
Tensor channel_mean(const Tensor& x);                  // (...,C) -> (C)
Tensor channel_broadcast(const Tensor& c, const ir::Shape& shape);  // (C) -> (...,C)
Tensor reshape(const Tensor& x, const ir::Shape& shape);
/// op(a) (M,K) x op(b) (K,N) -> (M,N), op transposes when the flag is set.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b);
Tensor softmax(const Tensor& x);                       // over the last axis
Tensor softmax_grad(const Tensor& y, const Tensor& g);  // y * (g - sum(g * y)) per row

// --- convolution (kernels_conv.cpp); x (B,H,W,I), w (K,K,I,O), g (B,H',W',O) -
Tensor conv2d(const Tensor& x, const Tensor& w, const ir::Attrs& attrs);
Tensor conv2d_grad_input(const Tensor& g, const Tensor& w, const ir::Attrs& attrs, const ir::Shape& x_shape);
Tensor conv2d_grad_filter(const Tensor& x, const Tensor& g, const ir::Attrs& attrs);

// --- pooling (kernels_pool.cpp); x (B,H,W,C), g (B,H',W',C) ------------------
Tensor maxpool2d(const Tensor& x, const ir::Attrs& attrs);
Tensor maxpool2d_grad(const Tensor& x, const Tensor& g, const ir::Attrs& attrs);
Tensor avgpool2d(const Tensor& x, const ir::Attrs& attrs);
Tensor avgpool2d_grad(const Tensor& g, const ir::Attrs& attrs, const ir::Shape& x_shape);
Tensor global_maxpool2d(const Tensor& x);                     // -> (B,C)
Tensor global_maxpool2d_grad(const Tensor& x, const Tensor& g);  // g (B,C)

// --- losses and metrics (kernels_loss.cpp); scores (B,M), labels (B) ---------
// Labels are floats holding class indices; an index outside [0, M) throws
// std::runtime_error (bad data, not a compiler bug).
Tensor softmax_xent(const Tensor& logits, const Tensor& labels);
Tensor softmax_xent_grad(const Tensor& logits, const Tensor& labels, const Tensor& g);
Tensor prob_xent(const Tensor& probs, const Tensor& labels);
Tensor prob_xent_grad(const Tensor& probs, const Tensor& labels, const Tensor& g);
Tensor count_correct(const Tensor& scores, const Tensor& labels);

// --- updates (kernels_update.cpp) ---------------------------------------------
/// The new value of the updated variable and of its optimizer slots, in the
/// order of the update's slot inputs (Adam: m, v; SGD: velocity).
struct Updated {
  Tensor value;
  std::vector<Tensor> slots;
};
Updated adam_update(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const ir::Attrs& attrs,
                    std::uint64_t step);
Updated sgd_update(const Tensor& p, const Tensor& g, const Tensor& velocity, const ir::Attrs& attrs);
Tensor moving_average(const Tensor& state, const Tensor& value, const ir::Attrs& attrs);

}  // namespace tl::exec::kernels
