// Conv2D and its two gradients, NHWC x HWIO. Every kernel walks output
// positions (b, oh, ow), then window taps (kh, kw) that fall inside the input,
// then input channels, with the innermost loop over the O output channels that
// are contiguous in both the kernel and the output (or its gradient).
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
      for (std::int64_t ow = 0; ow < g.OW; ++ow)
        for (std::int64_t kh = 0; kh < g.KH; ++kh) {
          const std::int64_t ih = oh * g.SH + kh - g.PH;
          if (ih < 0 || ih >= g.H) continue;
          for (std::int64_t kw = 0; kw < g.KW; ++kw) {
            const std::int64_t iw = ow * g.SW + kw - g.PW;
            if (iw < 0 || iw >= g.W) continue;
            tap(b, oh, ow, kh, kw, ih, iw);
          }
        }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const ir::Attrs& attrs) {
  const auto I = static_cast<std::int64_t>(w.shape()[2]), O = static_cast<std::int64_t>(w.shape()[3]);
  const Window g = window(shape_of(x), static_cast<std::int64_t>(w.shape()[0]),
                          static_cast<std::int64_t>(w.shape()[1]), attrs);
  Tensor out = zeros({g.B, g.OH, g.OW, O});
  const float* px = x.data();
  const float* pw = w.data();
  float* po = out.data();
  for_each_tap(g, [&](auto b, auto oh, auto ow, auto kh, auto kw, auto ih, auto iw) {
    float* o = po + ((b * g.OH + oh) * g.OW + ow) * O;  // out[b,oh,ow,:]
    const float* xi = px + ((b * g.H + ih) * g.W + iw) * I;  // x[b,ih,iw,:]
    const float* wk = pw + (kh * g.KW + kw) * I * O;       // w[kh,kw,:,:]
    for (std::int64_t ci = 0; ci < I; ++ci) {
      const float xv = xi[ci];
      const float* wrow = wk + ci * O;
      for (std::int64_t co = 0; co < O; ++co) o[co] += xv * wrow[co];
    }
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
    for (std::int64_t ci = 0; ci < I; ++ci) {
      const float* wrow = wk + ci * O;
      float s = 0.0f;
      for (std::int64_t co = 0; co < O; ++co) s += gi[co] * wrow[co];
      dxi[ci] += s;
    }
  });
  return dx;
}

Tensor conv2d_grad_filter(const Tensor& x, const Tensor& g, const ir::Attrs& attrs) {
  // dw[kh,kw,ci,co] = sum_{b,oh,ow} x[b,ih,iw,ci] * g[b,oh,ow,co], summed in
  // double because it runs over the whole batch and image.
  const auto I = static_cast<std::int64_t>(x.shape()[3]), O = static_cast<std::int64_t>(g.shape()[3]);
  const Window geo = window(shape_of(x), attrs.window_h, attrs.window_w, attrs);
  std::vector<double> acc(static_cast<std::size_t>(geo.KH * geo.KW * I * O), 0.0);
  const float* px = x.data();
  const float* pg = g.data();
  for_each_tap(geo, [&](auto b, auto oh, auto ow, auto kh, auto kw, auto ih, auto iw) {
    const float* gi = pg + ((b * geo.OH + oh) * geo.OW + ow) * O;
    const float* xi = px + ((b * geo.H + ih) * geo.W + iw) * I;
    double* ak = acc.data() + (kh * geo.KW + kw) * I * O;
    for (std::int64_t ci = 0; ci < I; ++ci) {
      const double xv = xi[ci];
      double* arow = ak + ci * O;
      for (std::int64_t co = 0; co < O; ++co) arow[co] += xv * gi[co];
    }
  });
  Tensor dw = empty({geo.KH, geo.KW, I, O});
  for (std::size_t i = 0; i < acc.size(); ++i) dw.data()[i] = static_cast<float>(acc[i]);
  return dw;
}

}  // namespace tl::exec::kernels
