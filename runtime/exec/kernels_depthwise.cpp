// Depthwise convolution and its two gradients, NHWC x (KH,KW,C,M): input
// channel c feeds output channels c*M .. c*M + M-1 (M the channel multiplier),
// each through its own KH x KW filter. Seen flat, the kernel (KH,KW,C*M) and
// the output's channel axis share one index o = c*M + m, and o / M is the
// input channel. Taps are summed in (kh, kw) order; padded cells add nothing.
#include "runtime/exec/kernels.hpp"

namespace tl::exec::kernels {

namespace {

struct Depthwise {
  Window g;
  std::int64_t M, O;
};

Depthwise geometry(const ir::Shape& x, const ir::Shape& w, const ir::Attrs& a) {
  return {window(x, w[0], w[1], a), w[3], x[3] * w[3]};
}

}  // namespace

void depthwise_conv2d(const Tensor& x, const Tensor& w, const ir::Attrs& attrs, Tensor& out) {
  const Depthwise d = geometry(shape_of(x), shape_of(w), attrs);
  const Window& g = d.g;
  float* po = fill_to(out, {g.B, g.OH, g.OW, d.O});
  for (std::int64_t b = 0; b < g.B; ++b)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        const Taps t = taps(g, oh, ow);
        float* o = po + ((b * g.OH + oh) * g.OW + ow) * d.O;
        for (std::int64_t kh = t.kh_lo; kh < t.kh_hi; ++kh)
          for (std::int64_t kw = t.kw_lo; kw < t.kw_hi; ++kw) {
            const float* xin = x.data() + ((b * g.H + t.top + kh * g.DH) * g.W + t.left + kw * g.DW) * g.C;
            const float* wk = w.data() + (kh * g.KW + kw) * d.O;
            for (std::int64_t k = 0; k < d.O; ++k) o[k] += xin[k / d.M] * wk[k];
          }
      }
}

void depthwise_conv2d_grad_input(const Tensor& gy, const Tensor& w, const ir::Attrs& attrs, const ir::Shape& x_shape,
                                 Tensor& dx) {
  // dx[b,ih,iw,c] = sum over the taps that read (ih, iw), in (kh, kw) order,
  // of sum_m g[b,oh,ow,c*M+m] * w[kh,kw,c,m].
  const Depthwise d = geometry(x_shape, shape_of(w), attrs);
  const Window& g = d.g;
  float* pdx = fill_to(dx, x_shape);
  for (std::int64_t b = 0; b < g.B; ++b)
    for (std::int64_t ih = 0; ih < g.H; ++ih)
      for (std::int64_t iw = 0; iw < g.W; ++iw) {
        float* out = pdx + ((b * g.H + ih) * g.W + iw) * g.C;
        for (std::int64_t kh = 0; kh < g.KH; ++kh) {
          const std::int64_t th = ih + g.PH - kh * g.DH;  // = oh * SH
          if (th < 0 || th % g.SH != 0 || th / g.SH >= g.OH) continue;
          for (std::int64_t kw = 0; kw < g.KW; ++kw) {
            const std::int64_t tw = iw + g.PW - kw * g.DW;
            if (tw < 0 || tw % g.SW != 0 || tw / g.SW >= g.OW) continue;
            const float* gin = gy.data() + ((b * g.OH + th / g.SH) * g.OW + tw / g.SW) * d.O;
            const float* wk = w.data() + (kh * g.KW + kw) * d.O;
            for (std::int64_t c = 0; c < g.C; ++c)
              for (std::int64_t m = 0; m < d.M; ++m) out[c] += gin[c * d.M + m] * wk[c * d.M + m];
          }
        }
      }
}

void depthwise_conv2d_grad_filter(const Tensor& x, const Tensor& gy, const ir::Attrs& attrs, Tensor& dw) {
  // dw[kh,kw,c,m] = sum over b, oh, ow of x[b,ih,iw,c] * g[b,oh,ow,c*M+m]: each
  // image summed in float (oh, ow order), images in double, as conv2d's.
  const ir::Shape xs = shape_of(x);
  const std::int64_t M = static_cast<std::int64_t>(gy.shape()[3]) / xs[3];
  const Depthwise d = geometry(xs, {attrs.window_h, attrs.window_w, xs[3], M}, attrs);
  const Window& g = d.g;
  const auto size = static_cast<std::size_t>(g.KH * g.KW * d.O);
  std::vector<double> total(size, 0.0);
  std::vector<float> image(size);
  for (std::int64_t b = 0; b < g.B; ++b) {
    std::fill(image.begin(), image.end(), 0.0f);
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        const Taps t = taps(g, oh, ow);
        const float* gin = gy.data() + ((b * g.OH + oh) * g.OW + ow) * d.O;
        for (std::int64_t kh = t.kh_lo; kh < t.kh_hi; ++kh)
          for (std::int64_t kw = t.kw_lo; kw < t.kw_hi; ++kw) {
            const float* xin = x.data() + ((b * g.H + t.top + kh * g.DH) * g.W + t.left + kw * g.DW) * g.C;
            float* acc = image.data() + (kh * g.KW + kw) * d.O;
            for (std::int64_t k = 0; k < d.O; ++k) acc[k] += xin[k / d.M] * gin[k];
          }
      }
    for (std::size_t i = 0; i < size; ++i) total[i] += image[i];
  }
  float* pdw = reshape_to(dw, {g.KH, g.KW, g.C, d.M});
  for (std::size_t i = 0; i < size; ++i) pdw[i] = static_cast<float>(total[i]);
}

}  // namespace tl::exec::kernels
