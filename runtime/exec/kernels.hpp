// Private to the reference executor: one plain-loop kernel per op, over the
// contiguous row-major data of tl::Tensor. Shapes have been checked by the IR
// verifier, so kernels trust them. Long reductions (over the batch or an image)
// accumulate in double, short ones (over a channel axis) in float; every
// reduction has a fixed order, so results are repeatable.
//
// Every kernel writes its result into `out` (never an input), giving it the
// result's shape. Storage is reused when the element count is unchanged, so an
// executor that keeps its buffers allocates nothing once it is warm.
// Legend: B batch, H/W spatial, C channels, K kernel extent, I/O in/out channels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "compiler/ir/graph.hpp"
#include "runtime/tensor.hpp"

namespace tl::exec::kernels {

ir::Shape shape_of(const Tensor& t);
/// Gives `out` the shape and returns its data; contents are unspecified.
float* reshape_to(Tensor& out, const ir::Shape& shape);
/// Gives `out` the shape, fills it with `value` and returns its data.
float* fill_to(Tensor& out, const ir::Shape& shape, float value = 0.0f);

/// Sliding-window geometry over an input (B,H,W,C), shared by conv and pooling:
/// output extent OH x OW, window KH x KW taps DH x DW cells apart (1 for
/// pooling), strides SH x SW, and the padding PH, PW before the first
/// row/column (ir::window_axis).
struct Window {
  std::int64_t B, H, W, C, OH, OW, KH, KW, SH, SW, PH, PW, DH = 1, DW = 1;
};
Window window(const ir::Shape& x, std::int64_t kh, std::int64_t kw, const ir::Attrs& attrs);

/// The window of output (oh, ow) starts at input cell (top, left); its taps
/// kh in [kh_lo, kh_hi), kw in [kw_lo, kw_hi) are the ones inside the input
/// (the others fall on padding). Tap (kh, kw) reads input (top + kh * DH,
/// left + kw * DW).
struct Taps {
  std::int64_t top, left, kh_lo, kh_hi, kw_lo, kw_hi;
  std::int64_t count() const { return (kh_hi - kh_lo) * (kw_hi - kw_lo); }
};
/// The taps k in [0, K) with 0 <= start + k * D < size, as [lo, hi).
inline std::pair<std::int64_t, std::int64_t> taps_inside(std::int64_t start, std::int64_t K, std::int64_t D,
                                                         std::int64_t size) {
  const std::int64_t lo = start >= 0 ? 0 : (-start + D - 1) / D;
  const std::int64_t hi = size - start <= 0 ? 0 : std::min(K, (size - start + D - 1) / D);
  return {lo, std::max(lo, hi)};
}
inline Taps taps(const Window& g, std::int64_t oh, std::int64_t ow) {
  const std::int64_t top = oh * g.SH - g.PH, left = ow * g.SW - g.PW;
  const auto [kh_lo, kh_hi] = taps_inside(top, g.KH, g.DH, g.H);
  const auto [kw_lo, kw_hi] = taps_inside(left, g.KW, g.DW, g.W);
  return {top, left, kh_lo, kh_hi, kw_lo, kw_hi};
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
void add(const Tensor& a, const Tensor& b, Tensor& out);
void mul(const Tensor& a, const Tensor& b, Tensor& out);
void neg(const Tensor& x, Tensor& out);
void square(const Tensor& x, Tensor& out);
void rsqrt(const Tensor& x, float eps, Tensor& out);
void scale(const Tensor& x, float value, Tensor& out);
void relu(const Tensor& x, Tensor& out);
void sigmoid(const Tensor& x, Tensor& out);
void tanh(const Tensor& x, Tensor& out);
void leaky_relu(const Tensor& x, float alpha, Tensor& out);
void gelu(const Tensor& x, Tensor& out);  // 0.5 x (1 + erf(x / sqrt 2))
void clip(const Tensor& x, float lo, float hi, Tensor& out);
void hard_sigmoid(const Tensor& x, float alpha, float beta, Tensor& out);
void hard_swish(const Tensor& x, Tensor& out);  // x min(max(x + 3, 0), 6) / 6
void swish(const Tensor& x, Tensor& out);       // x sigmoid(x)
/// Activation gradients take the forward output y and the adjoint g.
void relu_grad(const Tensor& y, const Tensor& g, Tensor& out);
void sigmoid_grad(const Tensor& y, const Tensor& g, Tensor& out);
void tanh_grad(const Tensor& y, const Tensor& g, Tensor& out);
void leaky_relu_grad(const Tensor& y, const Tensor& g, float alpha, Tensor& out);
void gelu_grad(const Tensor& x, const Tensor& g, Tensor& out);  // takes the forward input x
void clip_grad(const Tensor& y, const Tensor& g, float lo, float hi, Tensor& out);
void hard_sigmoid_grad(const Tensor& y, const Tensor& g, float alpha, Tensor& out);
void hard_swish_grad(const Tensor& x, const Tensor& g, Tensor& out);  // takes x
void swish_grad(const Tensor& x, const Tensor& g, Tensor& out);       // takes x
/// Element i is 1/(1-rate) if Philox(seed, stream, step, first + i) >= rate,
/// else 0, where first = row_offset rows of `shape` (a data-parallel shard's
/// place in the whole batch).
void dropout_mask(const ir::Shape& shape, double rate, std::uint64_t stream, std::uint64_t seed, std::uint64_t step,
                  std::uint64_t row_offset, Tensor& out);

// --- last-axis ops and matmul (kernels_dense.cpp) ----------------------------
void bias_add(const Tensor& x, const Tensor& c, Tensor& out);     // (...,C) + (C)
void channel_mul(const Tensor& x, const Tensor& c, Tensor& out);  // (...,C) * (C)
void channel_sum(const Tensor& x, Tensor& out);                   // (...,C) -> (C)
void channel_mean(const Tensor& x, Tensor& out);                  // (...,C) -> (C)
void channel_broadcast(const Tensor& c, const ir::Shape& shape, Tensor& out);  // (C) -> (...,C)
void reshape(const Tensor& x, const ir::Shape& shape, Tensor& out);
/// Blocks of channels, row by row (a row: one position of every other axis).
void concat(const Tensor& a, const Tensor& b, Tensor& out);  // (...,Ca), (...,Cb) -> (...,Ca+Cb)
/// out (shape, ...,N) = x's channels [offset, offset + N).
void slice_channels(const Tensor& x, std::int64_t offset, const ir::Shape& shape, Tensor& out);
/// out (shape, ...,C): x at channels [offset, offset + N), zero elsewhere.
void pad_channels(const Tensor& x, std::int64_t offset, const ir::Shape& shape, Tensor& out);
/// op(a) (M,K) x op(b) (K,N) -> (M,N), op transposes when the flag is set.
void matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Tensor& out);
void softmax(const Tensor& x, Tensor& out);                       // over the last axis
void softmax_grad(const Tensor& y, const Tensor& g, Tensor& out);  // y * (g - sum(g * y)) per row

// --- convolution (kernels_conv.cpp); x (B,H,W,I), w (K,K,I,O), g (B,H',W',O) -
void conv2d(const Tensor& x, const Tensor& w, const ir::Attrs& attrs, Tensor& out);
void conv2d_grad_input(const Tensor& g, const Tensor& w, const ir::Attrs& attrs, const ir::Shape& x_shape, Tensor& out);
void conv2d_grad_filter(const Tensor& x, const Tensor& g, const ir::Attrs& attrs, Tensor& out);
// --- depthwise convolution (kernels_depthwise.cpp); w (K,K,C,M), out (B,H',W',C*M)
void depthwise_conv2d(const Tensor& x, const Tensor& w, const ir::Attrs& attrs, Tensor& out);
void depthwise_conv2d_grad_input(const Tensor& g, const Tensor& w, const ir::Attrs& attrs, const ir::Shape& x_shape,
                                 Tensor& out);
void depthwise_conv2d_grad_filter(const Tensor& x, const Tensor& g, const ir::Attrs& attrs, Tensor& out);

// --- pooling (kernels_pool.cpp); x (B,H,W,C), g (B,H',W',C) ------------------
void maxpool2d(const Tensor& x, const ir::Attrs& attrs, Tensor& out);
void maxpool2d_grad(const Tensor& x, const Tensor& g, const ir::Attrs& attrs, Tensor& out);
void avgpool2d(const Tensor& x, const ir::Attrs& attrs, Tensor& out);
void avgpool2d_grad(const Tensor& g, const ir::Attrs& attrs, const ir::Shape& x_shape, Tensor& out);
void global_maxpool2d(const Tensor& x, Tensor& out);                        // -> (B,C)
void global_maxpool2d_grad(const Tensor& x, const Tensor& g, Tensor& out);  // g (B,C)
/// The sum over H and W (row-major order), divided by H*W when `mean`.
void global_sumpool2d(const Tensor& x, bool mean, Tensor& out);  // -> (B,C)
/// g (B,C) at every position of x's shape (divided by H*W when `mean`).
void spatial_broadcast(const Tensor& x, const Tensor& g, bool mean, Tensor& out);

// --- losses and metrics (kernels_loss.cpp); scores (B,M), labels (B) ---------
// Labels are floats holding class indices; an index outside [0, M) throws
// std::runtime_error (bad data, not a compiler bug). Losses are shape ().
/// The cross-entropies take the label smoothing s: targets (1 - s) onehot + s / M.
void softmax_xent(const Tensor& logits, const Tensor& labels, double smoothing, Tensor& out);
void softmax_xent_grad(const Tensor& logits, const Tensor& labels, const Tensor& g, double smoothing, Tensor& out);
void prob_xent(const Tensor& probs, const Tensor& labels, double smoothing, Tensor& out);
void prob_xent_grad(const Tensor& probs, const Tensor& labels, const Tensor& g, double smoothing, Tensor& out);
void count_correct(const Tensor& scores, const Tensor& labels, Tensor& out);

// --- updates (kernels_update.cpp) ---------------------------------------------
/// Update node `n` (any op of the Update category) on its operands `in`
/// (param, grad, slots...) at `step`, with the learning rate scaled by
/// `lr_scale`: writes the variable's new value to `out` and the new values of
/// its slot_count(n.op) optimizer slots to `slots` (resized), by
/// compiler/ir/optimizer.hpp's formulas.
void update(const ir::Node& n, const std::vector<const Tensor*>& in, std::uint64_t step, double lr_scale, Tensor& out,
            std::vector<Tensor>& slots);

}  // namespace tl::exec::kernels
