// Max, average and global max pooling (NHWC) and their gradients. TF
// semantics: 'same' padding cells are excluded from the max and from the
// average's count; ties go to the first maximum in window scan order
// (row-major kh, kw), and the max gradient is routed only there.
#include <algorithm>

#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

namespace {

/// Calls fn(b, taps of (oh, ow), offset of out[b,oh,ow,0]) for every output position.
template <class F>
void for_each_window(const Window& g, F fn) {
  for (std::int64_t b = 0; b < g.B; ++b)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) fn(b, taps(g, oh, ow), ((b * g.OH + oh) * g.OW + ow) * g.C);
}

/// Offset of x[b, ih, iw, 0].
std::int64_t cell(const Window& g, std::int64_t b, std::int64_t ih, std::int64_t iw) {
  return ((b * g.H + ih) * g.W + iw) * g.C;
}

/// Calls fn(offset of x[b, ih, iw, 0]) for the window's input cells in scan
/// order (row-major kh, kw), skipping padding.
template <class F>
void for_each_cell(const Window& g, std::int64_t b, const Taps& t, F fn) {
  for (std::int64_t kh = t.kh_lo; kh < t.kh_hi; ++kh)
    for (std::int64_t kw = t.kw_lo; kw < t.kw_hi; ++kw) fn(cell(g, b, t.top + kh, t.left + kw));
}

/// Calls route(out, in) for every output element of a max pool (flat index
/// `out` into the pooled tensor) with the flat index `in` into x of its
/// window's first maximum. Every window holds at least one input cell
/// (padding never covers a whole window), so `in` is always valid. The argmax
/// update is arithmetic rather than a branch: data-dependent branches
/// mispredict about half the time here.
template <class F>
void for_each_argmax(const Tensor& x, const Window& g, F route) {
  std::vector<float> best_values(static_cast<std::size_t>(g.C));
  std::vector<std::int64_t> arg_values(static_cast<std::size_t>(g.C));
  float* __restrict best = best_values.data();
  std::int64_t* __restrict arg = arg_values.data();
  const float* px = x.data();
  for_each_window(g, [&](std::int64_t b, const Taps& t, std::int64_t out) {
    const std::int64_t first = cell(g, b, t.top + t.kh_lo, t.left + t.kw_lo);
    for (std::int64_t c = 0; c < g.C; ++c) {
      arg[c] = first + c;
      best[c] = px[first + c];
    }
    for_each_cell(g, b, t, [&](std::int64_t base) {
      for (std::int64_t c = 0; c < g.C; ++c) {
        const float v = px[base + c];
        const std::int64_t better = v > best[c];  // strict: the first maximum wins
        arg[c] += better * (base + c - arg[c]);
        best[c] = std::max(best[c], v);
      }
    });
    for (std::int64_t c = 0; c < g.C; ++c) route(out + c, arg[c]);
  });
}

}  // namespace

void maxpool2d(const Tensor& x, const ir::Attrs& attrs, Tensor& out) {
  const Window g = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  float* po = reshape_to(out, {g.B, g.OH, g.OW, g.C});
  const float* px = x.data();
  for_each_window(g, [&](std::int64_t b, const Taps& t, std::int64_t at) {
    float* o = po + at;
    std::copy_n(px + cell(g, b, t.top + t.kh_lo, t.left + t.kw_lo), g.C, o);
    for_each_cell(g, b, t, [&](std::int64_t base) {
      for (std::int64_t c = 0; c < g.C; ++c) o[c] = std::max(o[c], px[base + c]);
    });
  });
}

void maxpool2d_grad(const Tensor& x, const Tensor& g, const ir::Attrs& attrs, Tensor& dx) {
  const Window geo = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  float* pdx = fill_to(dx, shape_of(x));
  const float* pg = g.data();
  // += because overlapping windows (stride < window) may share a maximum.
  for_each_argmax(x, geo, [&](std::int64_t out, std::int64_t in) { pdx[in] += pg[out]; });
}

void avgpool2d(const Tensor& x, const ir::Attrs& attrs, Tensor& out) {
  const Window g = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  float* po = fill_to(out, {g.B, g.OH, g.OW, g.C});
  const float* px = x.data();
  for_each_window(g, [&](std::int64_t b, const Taps& t, std::int64_t at) {
    float* o = po + at;
    for_each_cell(g, b, t, [&](std::int64_t base) {
      for (std::int64_t c = 0; c < g.C; ++c) o[c] += px[base + c];
    });
    // Real cells only, or with count_pad the window's area (padded cells too).
    const float inv = 1.0f / static_cast<float>(attrs.count_pad ? g.KH * g.KW : t.count());
    for (std::int64_t c = 0; c < g.C; ++c) o[c] *= inv;
  });
}

void avgpool2d_grad(const Tensor& g, const ir::Attrs& attrs, const ir::Shape& x_shape, Tensor& dx) {
  const Window geo = window(x_shape, attrs.window_h, attrs.window_w, attrs);
  float* pdx = fill_to(dx, x_shape);
  const float* pg = g.data();
  for_each_window(geo, [&](std::int64_t b, const Taps& t, std::int64_t at) {
    const float inv = 1.0f / static_cast<float>(attrs.count_pad ? geo.KH * geo.KW : t.count());
    for_each_cell(geo, b, t, [&](std::int64_t base) { axpy(pdx + base, pg + at, inv, static_cast<std::size_t>(geo.C)); });
  });
}

namespace {

/// Flat index into x (B,H,W,C) of the first maximum over (h, w) for each (b, c).
std::vector<std::int64_t> global_argmax(const Tensor& x) {
  const auto B = static_cast<std::int64_t>(x.shape()[0]), HW = static_cast<std::int64_t>(x.shape()[1] * x.shape()[2]),
             C = static_cast<std::int64_t>(x.shape()[3]);
  std::vector<std::int64_t> arg(static_cast<std::size_t>(B * C));
  for (std::int64_t b = 0; b < B; ++b) {
    std::int64_t* a = arg.data() + b * C;
    for (std::int64_t c = 0; c < C; ++c) a[c] = b * HW * C + c;
    for (std::int64_t p = 1; p < HW; ++p)
      for (std::int64_t c = 0; c < C; ++c) {
        const std::int64_t i = (b * HW + p) * C + c;
        a[c] = x.data()[i] > x.data()[a[c]] ? i : a[c];
      }
  }
  return arg;
}

}  // namespace

void global_maxpool2d(const Tensor& x, Tensor& out) {
  const std::vector<std::int64_t> arg = global_argmax(x);
  float* po = reshape_to(out, {static_cast<std::int64_t>(x.shape()[0]), static_cast<std::int64_t>(x.shape()[3])});
  for (std::size_t i = 0; i < arg.size(); ++i) po[i] = x.data()[arg[i]];
}

void global_maxpool2d_grad(const Tensor& x, const Tensor& g, Tensor& dx) {
  const std::vector<std::int64_t> arg = global_argmax(x);
  float* pdx = fill_to(dx, shape_of(x));
  for (std::size_t i = 0; i < arg.size(); ++i) pdx[arg[i]] += g.data()[i];
}

void global_sumpool2d(const Tensor& x, bool mean, Tensor& out) {
  const auto B = static_cast<std::int64_t>(x.shape()[0]), C = static_cast<std::int64_t>(x.shape()[3]);
  const auto HW = static_cast<std::int64_t>(x.shape()[1] * x.shape()[2]);
  float* po = reshape_to(out, {B, C});
  const auto count = static_cast<float>(HW);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t c = 0; c < C; ++c) {
      float sum = 0.0f;
      for (std::int64_t p = 0; p < HW; ++p) sum += x.data()[(b * HW + p) * C + c];
      po[b * C + c] = mean ? sum / count : sum;
    }
}

void spatial_broadcast(const Tensor& x, const Tensor& g, bool mean, Tensor& dx) {
  const auto B = static_cast<std::int64_t>(x.shape()[0]), C = static_cast<std::int64_t>(x.shape()[3]);
  const auto HW = static_cast<std::int64_t>(x.shape()[1] * x.shape()[2]);
  float* pdx = reshape_to(dx, shape_of(x));
  const auto count = static_cast<float>(HW);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t p = 0; p < HW; ++p)
      for (std::int64_t c = 0; c < C; ++c) {
        const float v = g.data()[b * C + c];
        pdx[(b * HW + p) * C + c] = mean ? v / count : v;
      }
}

}  // namespace tl::exec::kernels
