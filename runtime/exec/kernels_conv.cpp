// Conv2D and its two gradients, NHWC x HWIO. Every kernel walks output
// positions (b, oh, ow), then the window taps (kh, kw) inside the input, then
// input channels; the innermost loop runs over the O output channels, which
// are contiguous in the kernel and in the output (or its gradient).
#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

Window window(const ir::Shape& x, std::int64_t kh, std::int64_t kw, const ir::Attrs& a) {
  const ir::WindowAxis h = ir::window_axis(x[1], kh, a.stride_h, a.padding);
  const ir::WindowAxis w = ir::window_axis(x[2], kw, a.stride_w, a.padding);
  return {x[0], x[1], x[2], x[3], h.out, w.out, kh, kw, a.stride_h, a.stride_w, h.pad_before, w.pad_before};
}

namespace {

/// Calls tap(b, oh, ow, kh, kw, ih, iw) for every window tap inside the input.
template <class F>
void for_each_tap(const Window& g, F tap) {
  for (std::int64_t b = 0; b < g.B; ++b)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        const Taps t = taps(g, oh, ow);
        for (std::int64_t kh = t.kh_lo; kh < t.kh_hi; ++kh)
          for (std::int64_t kw = t.kw_lo; kw < t.kw_hi; ++kw) tap(b, oh, ow, kh, kw, t.top + kh, t.left + kw);
      }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const ir::Attrs& attrs) {
  // out[b,oh,ow,:] += x[b,ih,iw,ci] * w[kh,kw,ci,:]
  const auto I = static_cast<std::int64_t>(w.shape()[2]), O = static_cast<std::int64_t>(w.shape()[3]);
  const Window g = window(shape_of(x), static_cast<std::int64_t>(w.shape()[0]),
                          static_cast<std::int64_t>(w.shape()[1]), attrs);
  Tensor out = zeros({g.B, g.OH, g.OW, O});
  const float* px = x.data();
  const float* pw = w.data();
  float* po = out.data();
  for_each_tap(g, [&](auto b, auto oh, auto ow, auto kh, auto kw, auto ih, auto iw) {
    float* o = po + ((b * g.OH + oh) * g.OW + ow) * O;
    const float* xi = px + ((b * g.H + ih) * g.W + iw) * I;
    const float* wk = pw + (kh * g.KW + kw) * I * O;
    for (std::int64_t ci = 0; ci < I; ++ci) axpy(o, wk + ci * O, xi[ci], static_cast<std::size_t>(O));
  });
  return out;
}

Tensor conv2d_grad_input(const Tensor& g, const Tensor& w, const ir::Attrs& attrs, const ir::Shape& x_shape) {
  // dx[b,ih,iw,ci] += sum_co g[b,oh,ow,co] * w[kh,kw,ci,co]
  const auto I = static_cast<std::int64_t>(w.shape()[2]), O = static_cast<std::int64_t>(w.shape()[3]);
  const Window geo = window(x_shape, static_cast<std::int64_t>(w.shape()[0]),
                            static_cast<std::int64_t>(w.shape()[1]), attrs);
  Tensor dx = zeros(x_shape);
  const float* pg = g.data();
  const float* pw = w.data();
  float* pdx = dx.data();
  for_each_tap(geo, [&](auto b, auto oh, auto ow, auto kh, auto kw, auto ih, auto iw) {
    const float* gi = pg + ((b * geo.OH + oh) * geo.OW + ow) * O;
    float* dxi = pdx + ((b * geo.H + ih) * geo.W + iw) * I;
    const float* wk = pw + (kh * geo.KW + kw) * I * O;
    for (std::int64_t ci = 0; ci < I; ++ci) dxi[ci] += dot(gi, wk + ci * O, static_cast<std::size_t>(O));
  });
  return dx;
}

Tensor conv2d_grad_filter(const Tensor& x, const Tensor& g, const ir::Attrs& attrs) {
  // dw[kh,kw,ci,:] = sum_{b,oh,ow} x[b,ih,iw,ci] * g[b,oh,ow,:]. Each image is
  // summed in float, then images are summed in double: accurate over large
  // batches without a double multiply in the inner loop.
  const auto I = static_cast<std::int64_t>(x.shape()[3]), O = static_cast<std::int64_t>(g.shape()[3]);
  const Window geo = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  const auto size = static_cast<std::size_t>(geo.KH * geo.KW * I * O);
  std::vector<double> total(size, 0.0);
  std::vector<float> image(size);
  const float* px = x.data();
  const float* pg = g.data();
  Window one = geo;
  one.B = 1;
  for (std::int64_t b = 0; b < geo.B; ++b) {
    std::fill(image.begin(), image.end(), 0.0f);
    for_each_tap(one, [&](auto, auto oh, auto ow, auto kh, auto kw, auto ih, auto iw) {
      const float* gi = pg + ((b * geo.OH + oh) * geo.OW + ow) * O;
      const float* xi = px + ((b * geo.H + ih) * geo.W + iw) * I;
      float* acc = image.data() + (kh * geo.KW + kw) * I * O;
      for (std::int64_t ci = 0; ci < I; ++ci) axpy(acc + ci * O, gi, xi[ci], static_cast<std::size_t>(O));
    });
    for (std::size_t i = 0; i < size; ++i) total[i] += image[i];
  }
  Tensor dw = empty({geo.KH, geo.KW, I, O});
  for (std::size_t i = 0; i < size; ++i) dw.data()[i] = static_cast<float>(total[i]);
  return dw;
}

}  // namespace tl::exec::kernels
