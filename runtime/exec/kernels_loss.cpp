// Loss and metric kernels over scores (B,M) and labels (B). Losses are means
// over the batch; their gradients take the scalar adjoint g of that mean.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

namespace {

constexpr double kProbClip = 1e-7;  // Keras backend epsilon

/// The class index of row r, checked against the M columns of the scores.
std::size_t label_at(const Tensor& labels, std::size_t r, std::size_t M) {
  const float v = labels.data()[r];
  const auto k = static_cast<std::int64_t>(v);
  if (v != static_cast<float>(k) || k < 0 || static_cast<std::size_t>(k) >= M)
    throw std::runtime_error(fmt::format("label {} of batch row {} is not a class index in [0, {})", v, r, M));
  return static_cast<std::size_t>(k);
}

void scalar_to(Tensor& out, double v) { *reshape_to(out, {}) = static_cast<float>(v); }

}  // namespace

void softmax_xent(const Tensor& logits, const Tensor& labels, double smoothing, Tensor& out) {
  // Per row: log-sum-exp(x) - sum t x, with the row max subtracted first; the
  // targets t are (1 - s) onehot(label) + s / M (s = 0: x[label]).
  const std::size_t B = logits.shape()[0], M = logits.shape()[1];
  double total = 0.0;
  for (std::size_t r = 0; r < B; ++r) {
    const float* x = logits.data() + r * M;
    const float m = *std::max_element(x, x + M);
    double sum = 0.0;
    for (std::size_t k = 0; k < M; ++k) sum += std::exp(static_cast<double>(x[k]) - m);
    const double at_label = x[label_at(labels, r, M)];
    if (smoothing == 0.0) {
      total += m + std::log(sum) - at_label;
    } else {
      double all = 0.0;
      for (std::size_t k = 0; k < M; ++k) all += x[k];
      total += m + std::log(sum) - ((1.0 - smoothing) * at_label + smoothing / static_cast<double>(M) * all);
    }
  }
  scalar_to(out, total / static_cast<double>(B));
}

void softmax_xent_grad(const Tensor& logits, const Tensor& labels, const Tensor& g, double smoothing, Tensor& out) {
  // (softmax(x) - t) * g / B, t = (1 - s) onehot(label) + s / M
  const std::size_t B = logits.shape()[0], M = logits.shape()[1];
  softmax(logits, out);
  const float coef = g.data()[0] / static_cast<float>(B);
  const auto spread = static_cast<float>(smoothing / static_cast<double>(M));
  const auto hit = static_cast<float>(1.0 - smoothing);
  for (std::size_t r = 0; r < B; ++r) {
    float* d = out.data() + r * M;
    const std::size_t label = label_at(labels, r, M);
    for (std::size_t k = 0; k < M; ++k) {
      float v = d[k];
      if (smoothing != 0.0) v -= spread;
      if (k == label) v -= hit;
      d[k] = v * coef;
    }
  }
}

namespace {

double clipped_log(double p) { return std::log(std::clamp(p, kProbClip, 1.0 - kProbClip)); }

}  // namespace

void prob_xent(const Tensor& probs, const Tensor& labels, double smoothing, Tensor& out) {
  // -sum t log(clip(p)), t = (1 - s) onehot(label) + s / M
  const std::size_t B = probs.shape()[0], M = probs.shape()[1];
  double total = 0.0;
  for (std::size_t r = 0; r < B; ++r) {
    const float* p = probs.data() + r * M;
    const double at_label = clipped_log(p[label_at(labels, r, M)]);
    if (smoothing == 0.0) {
      total -= at_label;
    } else {
      double all = 0.0;
      for (std::size_t k = 0; k < M; ++k) all += clipped_log(p[k]);
      total -= (1.0 - smoothing) * at_label + smoothing / static_cast<double>(M) * all;
    }
  }
  scalar_to(out, total / static_cast<double>(B));
}

void prob_xent_grad(const Tensor& probs, const Tensor& labels, const Tensor& g, double smoothing, Tensor& out) {
  // d/dp of -sum t log(clip(p)) / B: -t / (B p) inside the clip range, 0
  // where the clip is active (as TF's clip_by_value gradient). Without
  // smoothing only the label's column is non-zero.
  const std::size_t B = probs.shape()[0], M = probs.shape()[1];
  float* dp = fill_to(out, shape_of(probs));
  const double spread = smoothing / static_cast<double>(M);
  for (std::size_t r = 0; r < B; ++r) {
    const std::size_t label = label_at(labels, r, M);
    for (std::size_t k = 0; k < M; ++k) {
      if (smoothing == 0.0 && k != label) continue;
      const double t = (k == label ? 1.0 - smoothing : 0.0) + spread;
      const double p = probs.data()[r * M + k];
      if (p >= kProbClip && p <= 1.0 - kProbClip)
        dp[r * M + k] = static_cast<float>(-g.data()[0] * t / (static_cast<double>(B) * p));
    }
  }
}

void count_correct(const Tensor& scores, const Tensor& labels, Tensor& out) {
  const std::size_t B = scores.shape()[0], M = scores.shape()[1];
  std::size_t correct = 0;
  for (std::size_t r = 0; r < B; ++r) {
    const float* s = scores.data() + r * M;
    // max_element returns the first of equal maxima.
    if (static_cast<std::size_t>(std::max_element(s, s + M) - s) == label_at(labels, r, M)) ++correct;
  }
  scalar_to(out, static_cast<double>(correct));
}

}  // namespace tl::exec::kernels
