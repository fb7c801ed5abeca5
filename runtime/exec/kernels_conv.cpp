// Conv2D and its two gradients, NHWC x HWIO. Each kernel walks one output row
// (b, oh) at a time, then the kernel taps (kh, kw) and input channels ci, and
// applies that tap along the row's output columns; the innermost loop runs
// over the O output channels, contiguous in the kernel and in the output (or
// its gradient).
#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

Window window(const ir::Shape& x, std::int64_t kh, std::int64_t kw, const ir::Attrs& a) {
  const ir::WindowAxis h = ir::window_rows(a, x[1], kh);
  const ir::WindowAxis w = ir::window_cols(a, x[2], kw);
  return {x[0], x[1], x[2], x[3], h.out, w.out, kh, kw, a.stride_h, a.stride_w, h.pad_before, w.pad_before,
          a.dilation_h, a.dilation_w};
}

namespace {

/// Output columns [lo, hi) whose tap kw lands inside the input:
/// 0 <= ow * SW + kw * DW - PW < W.
struct Columns {
  std::int64_t lo, hi;
};
Columns columns_for_tap(const Window& g, std::int64_t kw) {
  const std::int64_t first = g.PW - kw * g.DW, last = g.W - 1 + g.PW - kw * g.DW;  // bounds on ow * SW
  if (last < 0) return {0, 0};
  return {first <= 0 ? 0 : (first + g.SW - 1) / g.SW, std::min(g.OW, last / g.SW + 1)};
}

/// Calls tap(b, oh, kh, kw, ih, columns) for every kernel row/column pair of
/// every output row that reads inside the input; input column iw of output
/// column ow is ow * SW + kw * DW - PW.
template <class F>
void for_each_row_tap(const Window& g, F tap) {
  std::vector<Columns> columns(static_cast<std::size_t>(g.KW));
  for (std::int64_t kw = 0; kw < g.KW; ++kw) columns[static_cast<std::size_t>(kw)] = columns_for_tap(g, kw);
  for (std::int64_t b = 0; b < g.B; ++b)
    for (std::int64_t oh = 0; oh < g.OH; ++oh) {
      const Taps rows = taps(g, oh, 0);  // only its row part (top, kh range) is used
      for (std::int64_t kh = rows.kh_lo; kh < rows.kh_hi; ++kh)
        for (std::int64_t kw = 0; kw < g.KW; ++kw) tap(b, oh, kh, kw, rows.top + kh * g.DH, columns[static_cast<std::size_t>(kw)]);
    }
}

}  // namespace

void conv2d(const Tensor& x, const Tensor& w, const ir::Attrs& attrs, Tensor& out) {
  // out[b,oh,ow,:] += x[b,ih,iw,ci] * w[kh,kw,ci,:]
  const auto I = static_cast<std::int64_t>(w.shape()[2]), O = static_cast<std::int64_t>(w.shape()[3]);
  const Window g = window(shape_of(x), static_cast<std::int64_t>(w.shape()[0]),
                          static_cast<std::int64_t>(w.shape()[1]), attrs);
  float* po = fill_to(out, {g.B, g.OH, g.OW, O});
  const float* px = x.data();
  const float* pw = w.data();
  for_each_row_tap(g, [&](std::int64_t b, std::int64_t oh, std::int64_t kh, std::int64_t kw, std::int64_t ih,
                          Columns cols) {
    float* orow = po + (b * g.OH + oh) * g.OW * O;
    const float* xrow = px + (b * g.H + ih) * g.W * I;
    for (std::int64_t ci = 0; ci < I; ++ci) {
      const float* wrow = pw + ((kh * g.KW + kw) * I + ci) * O;
      for (std::int64_t ow = cols.lo; ow < cols.hi; ++ow)
        axpy(orow + ow * O, wrow, xrow[(ow * g.SW + kw * g.DW - g.PW) * I + ci], static_cast<std::size_t>(O));
    }
  });
}

void conv2d_grad_input(const Tensor& g, const Tensor& w, const ir::Attrs& attrs, const ir::Shape& x_shape,
                       Tensor& dx) {
  // dx[b,ih,iw,ci] += g[b,oh,ow,:] . w[kh,kw,ci,:]
  const auto I = static_cast<std::int64_t>(w.shape()[2]), O = static_cast<std::int64_t>(w.shape()[3]);
  const Window geo = window(x_shape, static_cast<std::int64_t>(w.shape()[0]),
                            static_cast<std::int64_t>(w.shape()[1]), attrs);
  float* pdx = fill_to(dx, x_shape);
  const float* pg = g.data();
  const float* pw = w.data();
  for_each_row_tap(geo, [&](std::int64_t b, std::int64_t oh, std::int64_t kh, std::int64_t kw, std::int64_t ih,
                            Columns cols) {
    const float* grow = pg + (b * geo.OH + oh) * geo.OW * O;
    float* dxrow = pdx + (b * geo.H + ih) * geo.W * I;
    for (std::int64_t ci = 0; ci < I; ++ci) {
      const float* wrow = pw + ((kh * geo.KW + kw) * I + ci) * O;
      for (std::int64_t ow = cols.lo; ow < cols.hi; ++ow)
        dxrow[(ow * geo.SW + kw * geo.DW - geo.PW) * I + ci] += dot(grow + ow * O, wrow, static_cast<std::size_t>(O));
    }
  });
}

void conv2d_grad_filter(const Tensor& x, const Tensor& g, const ir::Attrs& attrs, Tensor& dw) {
  // dw[kh,kw,ci,:] = sum_{b,oh,ow} x[b,ih,iw,ci] * g[b,oh,ow,:]. Each image is
  // summed in float, then images are summed in double: accurate over large
  // batches without a double multiply in the inner loop.
  const auto I = static_cast<std::int64_t>(x.shape()[3]), O = static_cast<std::int64_t>(g.shape()[3]);
  Window geo = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  const auto size = static_cast<std::size_t>(geo.KH * geo.KW * I * O);
  std::vector<double> total(size, 0.0);
  std::vector<float> image(size);
  const std::int64_t batch = geo.B;
  geo.B = 1;  // walk one image at a time
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* px = x.data() + b * geo.H * geo.W * I;
    const float* pg = g.data() + b * geo.OH * geo.OW * O;
    std::fill(image.begin(), image.end(), 0.0f);
    for_each_row_tap(geo, [&](std::int64_t, std::int64_t oh, std::int64_t kh, std::int64_t kw, std::int64_t ih,
                              Columns cols) {
      const float* grow = pg + oh * geo.OW * O;
      const float* xrow = px + ih * geo.W * I;
      for (std::int64_t ci = 0; ci < I; ++ci) {
        float* acc = image.data() + ((kh * geo.KW + kw) * I + ci) * O;
        for (std::int64_t ow = cols.lo; ow < cols.hi; ++ow)
          axpy(acc, grow + ow * O, xrow[(ow * geo.SW + kw * geo.DW - geo.PW) * I + ci], static_cast<std::size_t>(O));
      }
    });
    for (std::size_t i = 0; i < size; ++i) total[i] += image[i];
  }
  float* pdw = reshape_to(dw, {geo.KH, geo.KW, I, O});
  for (std::size_t i = 0; i < size; ++i) pdw[i] = static_cast<float>(total[i]);
}

}  // namespace tl::exec::kernels
