// Depthwise convolution and its gradients as vector code over the channel
// axis, as runtime/exec/kernels_depthwise.cpp computes them. Kernel (K,K,C,M)
// and output channels share the flat index o = c*M + m; with M = 1 (the
// common case, MobileNet's) input, kernel and output channels line up and
// run in vectors; with M > 1 an output channel reads input channel o / M, so
// the kernels run one channel at a time. Taps sum in (kh, kw) order.
//   forward:     out[b,oh,ow,o] = sum x[b,ih,iw,o/M] * w[kh,kw,o]
//   grad input:  dx[b,ih,iw,c] = sum over the taps covering (ih, iw) and m of
//                g[b,oh,ow,c*M+m] * w[kh,kw,c*M+m]
//   grad filter: dw[kh,kw,o] = sum over b,oh,ow of x[b,ih,iw,o/M] * g[b,oh,ow,o],
//                each image in float, images in double (conv2d's layout, so
//                emit_combine finishes it)
#include "compiler/codegen/kernel_frame.hpp"

namespace tl::codegen {

namespace {

struct Geometry {
  std::int64_t H, W, C, M, O, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW;
  int lanes;  // channels per vector: the emitter's width when M = 1, else 1

  Geometry(const ir::Shape& x, const ir::Shape& w, const ir::Attrs& a, int width) {
    const ir::WindowAxis h = ir::window_rows(a, x[1], w[0]);
    const ir::WindowAxis v = ir::window_cols(a, x[2], w[1]);
    H = x[1], W = x[2], C = x[3], M = w[3], O = C * M, OH = h.out, OW = v.out, KH = w[0], KW = w[1];
    SH = a.stride_h, SW = a.stride_w, PH = h.pad_before, PW = v.pad_before, DH = a.dilation_h, DW = a.dilation_w;
    lanes = M == 1 ? width : 1;
  }
};

/// base[index .. index + lanes) under `mask` when `ok`, else zeros (the load
/// itself stays in bounds).
llvm::Value* load_if(Emitter& e, llvm::Value* ok, llvm::Value* base, llvm::Value* index, int lanes, llvm::Value* mask) {
  llvm::Value* v = e.vload(base, e.b.CreateSelect(ok, index, e.c64(0)), lanes, mask);
  return e.b.CreateSelect(ok, v, e.constant(v->getType(), 0.0));
}

/// Runs body(first channel, mask) over [0, count) in vectors of `lanes`.
void channels(Emitter& e, std::int64_t count, int lanes, const std::function<void(llvm::Value*, llvm::Value*)>& body) {
  if (lanes == 1) return e.loop(0, count, [&](llvm::Value* i) { body(i, nullptr); });
  e.vector_loop(e.c64(0), e.c64(count), count % lanes == 0, body);
}

/// 0 <= v < limit.
llvm::Value* inside(Emitter& e, llvm::Value* v, std::int64_t limit) {
  return e.b.CreateAnd(e.b.CreateICmpSGE(v, e.c64(0)), e.b.CreateICmpSLT(v, e.c64(limit)));
}

}  // namespace

void emit_depthwise_conv(KernelFrame& f, RowRange rows) {
  const ir::Node& n = f.node(f.kernel.nodes.front());
  const ir::Shape& xs = f.shape(n.inputs[0]);
  const ir::Shape& ws = f.shape(n.inputs[1]);
  const Geometry d(xs, ws, n.attrs, f.e.width);
  const ConvShape shape(xs, ws, n.attrs);  // for the byte-fed image tile
  Emitter& e = f.e;
  llvm::Value* w = f.ptr(n.inputs[1]);
  Epilogue epilogue(f);
  llvm::Type* t = e.vec(d.lanes, e.f32);
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    const ConvImage image = conv_image(f, shape, f.ptr(n.inputs[0]), b);
    e.loop(0, d.OH, [&](llvm::Value* oh) {
      e.loop(0, d.OW, [&](llvm::Value* ow) {
        channels(e, d.O, d.lanes, [&](llvm::Value* o, llvm::Value* mask) {
          llvm::Value* c = d.M == 1 ? o : e.b.CreateSDiv(o, e.c64(d.M));
          Emitter::Var acc = e.var(t, e.constant(t, 0.0));
          e.unrolled(0, d.KH, [&](llvm::Value* kh) {
            llvm::Value* ih = e.add(e.mad(oh, d.SH, e.mul(kh, d.DH)), -d.PH);
            e.unrolled(0, d.KW, [&](llvm::Value* kw) {
              llvm::Value* iw = e.add(e.mad(ow, d.SW, e.mul(kw, d.DW)), -d.PW);
              llvm::Value* ok = e.b.CreateAnd(inside(e, ih, d.H), inside(e, iw, d.W));
              llvm::Value* at = e.add(e.mul(e.mad(e.mad(image.image, d.H, ih), d.W, iw), d.C), c);
              llvm::Value* xv = load_if(e, ok, image.base, at, d.lanes, mask);
              llvm::Value* wv = e.vload(w, e.add(e.mul(e.mad(kh, d.KW, kw), d.O), o), d.lanes, mask);
              acc.set(e.fma(xv, wv, acc.get()));
            }, 7);
          }, 7);
          epilogue.finish(acc.get(), e.add(e.mul(e.mad(e.mad(b, d.OH, oh), d.OW, ow), d.O), o), o, mask);
        });
      });
    });
  });
}

void emit_depthwise_conv_grad_input(KernelFrame& f, RowRange rows) {
  const ir::Node& n = f.node(f.kernel.nodes.front());
  const Geometry d(n.shape, f.shape(n.inputs[1]), n.attrs, f.e.width);
  Emitter& e = f.e;
  llvm::Value* g = f.ptr(n.inputs[0]);
  llvm::Value* w = f.ptr(n.inputs[1]);
  Epilogue epilogue(f);
  llvm::Type* t = e.vec(d.lanes, e.f32);
  const auto source = [&](llvm::Value* i, llvm::Value* k, std::int64_t pad, std::int64_t stride, std::int64_t outs,
                          llvm::Value*& o) { return tap_source(e, i, k, pad, stride, outs, o); };
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    e.loop(0, d.H, [&](llvm::Value* ih) {
      e.loop(0, d.W, [&](llvm::Value* iw) {
        channels(e, d.C, d.lanes, [&](llvm::Value* c, llvm::Value* mask) {
          Emitter::Var acc = e.var(t, e.constant(t, 0.0));
          e.unrolled(0, d.KH, [&](llvm::Value* kh) {
            llvm::Value* oh = nullptr;
            llvm::Value* row_ok = source(ih, e.mul(kh, d.DH), d.PH, d.SH, d.OH, oh);
            e.unrolled(0, d.KW, [&](llvm::Value* kw) {
              llvm::Value* ow = nullptr;
              llvm::Value* ok = e.b.CreateAnd(row_ok, source(iw, e.mul(kw, d.DW), d.PW, d.SW, d.OW, ow));
              llvm::Value* gat = e.mul(e.mad(e.mad(b, d.OH, oh), d.OW, ow), d.O);
              llvm::Value* wat = e.mul(e.mad(kh, d.KW, kw), d.O);
              e.unrolled(0, d.M, [&](llvm::Value* m) {
                llvm::Value* o = d.M == 1 ? c : e.add(e.mul(c, d.M), m);
                llvm::Value* gv = load_if(e, ok, g, e.add(gat, o), d.lanes, mask);
                acc.set(e.fma(gv, e.vload(w, e.add(wat, o), d.lanes, mask), acc.get()));
              }, 8);
            }, 7);
          }, 7);
          epilogue.finish(acc.get(), e.add(e.mul(e.mad(e.mad(b, d.H, ih), d.W, iw), d.C), c), c, mask);
        });
      });
    });
  });
}

void emit_depthwise_conv_grad_filter_partial(KernelFrame& f, ir::NodeId id, RowRange rows) {
  const ir::Node& n = f.node(id);
  const ir::Shape& xs = f.shape(n.inputs[0]);
  const Geometry d(xs, n.shape, n.attrs, f.e.width);
  const ConvShape shape(xs, n.shape, n.attrs);
  Emitter& e = f.e;
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Value* g = f.ptr(n.inputs[1]);
  const std::int64_t size = ir::element_count(n.shape);
  llvm::Value* total = f.scratch(id, f.tid);  // doubles, then the image's floats
  llvm::Value* image = e.b.CreateInBoundsGEP(e.b.getInt8Ty(), total, e.c64(size * 8));
  e.zero(total, e.c64(0), e.c64(size), e.f64);
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    const ConvImage xi = conv_image(f, shape, x, b);
    e.zero(image, e.c64(0), e.c64(size), e.f32);
    e.loop(0, d.OH, [&](llvm::Value* oh) {
      e.loop(0, d.OW, [&](llvm::Value* ow) {
        llvm::Value* gat = e.mul(e.mad(e.mad(b, d.OH, oh), d.OW, ow), d.O);
        e.unrolled(0, d.KH, [&](llvm::Value* kh) {
          llvm::Value* ih = e.add(e.mad(oh, d.SH, e.mul(kh, d.DH)), -d.PH);
          e.unrolled(0, d.KW, [&](llvm::Value* kw) {
            llvm::Value* iw = e.add(e.mad(ow, d.SW, e.mul(kw, d.DW)), -d.PW);
            llvm::Value* ok = e.b.CreateAnd(inside(e, ih, d.H), inside(e, iw, d.W));
            llvm::Value* xat = e.mul(e.mad(e.mad(xi.image, d.H, ih), d.W, iw), d.C);
            llvm::Value* tap = e.mul(e.mad(kh, d.KW, kw), d.O);
            e.when(ok, [&] {
              channels(e, d.O, d.lanes, [&](llvm::Value* o, llvm::Value* mask) {
                llvm::Value* c = d.M == 1 ? o : e.b.CreateSDiv(o, e.c64(d.M));
                llvm::Value* xv = e.vload(xi.base, e.add(xat, c), d.lanes, mask);
                llvm::Value* gv = e.vload(g, e.add(gat, o), d.lanes, mask);
                llvm::Value* at = e.add(tap, o);
                e.vstore(e.fma(xv, gv, e.vload(image, at, d.lanes, mask)), image, at, mask);
              });
            });
          }, 7);
        }, 7);
      });
    });
    // total += the image's sums, in double.
    e.loop(0, size, [&](llvm::Value* i) {
      e.store(e.b.CreateFAdd(e.load(e.f64, total, i), e.to_f64(e.load(e.f32, image, i))), total, i);
    });
  });
}

}  // namespace tl::codegen
