// Conv2D and its gradients as vector code over the channel axis (NHWC x
// HWIO keeps channels contiguous): a block of output pixels keeps one
// accumulator per (pixel, channel vector) while the taps run, each tap a
// broadcast of one input value times a vector of kernel weights. Taps that
// fall on 'same' padding read zero (their products add nothing), so every
// element still sums its taps in the reference's order (kh, kw, ci). Small
// tap loops are unrolled at emission, so offsets and padding checks fold.
// Blocks run over an image's pixels in row-major order (a block may span
// two rows), so only the last block of an image overlaps another; while a
// block's taps run, the cache fetches what its epilogue reads and writes.
//   conv:        out[b,oh,ow,:] = sum x[b,ih,iw,ci] * w[kh,kw,ci,:]
//   grad input:  dx[b,ih,iw,:] = sum g[b,oh,ow,co] * wT[kh,kw,co,:], over the
//                (oh, ow) whose window covers (ih, iw); wT packed per thread
//   grad filter: dw[kh,kw,ci,:] = sum over b,oh,ow of x[b,ih,iw,ci] * g[b,oh,ow,:],
//                each image in float, images in double (as the reference)
// Legend: x (B,H,W,I), w (KH,KW,I,O), out/g (B,OH,OW,O).
#include "compiler/codegen/kernel_frame.hpp"

namespace tl::codegen {

namespace {

constexpr std::int64_t kMaxPixels = 8;  // pixels in a block
constexpr std::int64_t kMaxImageTile = 1 << 16;  // floats of a widened image on a thread's stack (256 KB)

/// 0 <= v < limit (only needed under 'same' padding).
llvm::Value* inside(Emitter& e, bool padded, llvm::Value* v, std::int64_t limit) {
  if (!padded) return e.b.getTrue();
  return e.b.CreateAnd(e.b.CreateICmpSGE(v, e.c64(0)), e.b.CreateICmpSLT(v, e.c64(limit)));
}

/// base[index] when `ok`, else 0 (the load itself stays in bounds).
llvm::Value* load_if(Emitter& e, llvm::Value* ok, llvm::Value* base, llvm::Value* index) {
  if (auto* c = llvm::dyn_cast<llvm::ConstantInt>(ok); c && c->isOne()) return e.load(e.f32, base, index);
  llvm::Value* v = e.load(e.f32, base, e.b.CreateSelect(ok, index, e.c64(0)));
  return e.b.CreateSelect(ok, v, e.cf(0.0f));
}

/// The mask of channel vector v of `channels` (null when full).
llvm::Value* mask_of(Emitter& e, std::int64_t channels, std::int64_t v) {
  const std::int64_t active = channels - v * e.width;
  return active >= e.width ? nullptr : e.first_lanes(e.width, active);
}

std::vector<std::vector<Emitter::Var>> accumulators(Emitter& e, std::size_t pixels, std::int64_t vecs) {
  llvm::Type* t = e.vec(e.width, e.f32);
  std::vector<std::vector<Emitter::Var>> acc(pixels);
  for (auto& p : acc)
    for (std::int64_t v = 0; v < vecs; ++v) p.push_back(e.var(t, e.constant(t, 0.0)));
  return acc;
}

std::vector<std::vector<llvm::Value*>> values_of(const std::vector<std::vector<Emitter::Var>>& acc) {
  std::vector<std::vector<llvm::Value*>> out;
  for (const auto& p : acc) {
    out.emplace_back();
    for (const auto& v : p) out.back().push_back(v.get());
  }
  return out;
}

/// A block's pixel p, channel vector v sits at flat(p, v) of the output.
using PixelFlat = std::function<llvm::Value*(std::int64_t, std::int64_t)>;

/// Asks the cache for what the epilogue of a block of `pixels` x `vectors`
/// will read and write, so that it arrives while the block's taps run.
void prefetch_pixels(Epilogue& epilogue, std::int64_t pixels, std::int64_t vectors, const PixelFlat& flat) {
  for (std::int64_t p = 0; p < pixels; ++p)
    for (std::int64_t v = 0; v < vectors; ++v) epilogue.prefetch(flat(p, v));
}

/// The epilogue of a block: acc[p][v] through the chain to flat(p, v), one
/// channel vector at a time; its sinks add only the pixels no earlier block
/// finished (fresh, from Emitter::counted_blocks).
void finish_pixels(Emitter& e, Epilogue& epilogue, const std::vector<std::vector<llvm::Value*>>& acc, std::int64_t channels,
                   const PixelFlat& flat, const std::function<llvm::Value*(std::int64_t)>& fresh) {
  std::vector<llvm::Value*> news;
  for (std::size_t p = 0; p < acc.size(); ++p) news.push_back(fresh(static_cast<std::int64_t>(p)));
  for (std::size_t v = 0; v < acc.front().size(); ++v) {
    const auto vi = static_cast<std::int64_t>(v);
    std::vector<llvm::Value*> column, flats;
    for (std::size_t p = 0; p < acc.size(); ++p) {
      column.push_back(acc[p][v]);
      flats.push_back(flat(static_cast<std::int64_t>(p), vi));
    }
    epilogue.finish_block(column, flats, e.c64(vi * e.width), mask_of(e, channels, vi), news);
  }
}

}  // namespace

llvm::Value* tap_source(Emitter& e, llvm::Value* i, llvm::Value* k, std::int64_t pad, std::int64_t stride,
                        std::int64_t outs, llvm::Value*& o) {
  llvm::Value* t = e.b.CreateSub(e.add(i, pad), k);
  o = e.b.CreateSDiv(t, e.c64(stride));
  llvm::Value* ok = e.b.CreateAnd(e.b.CreateICmpSGE(t, e.c64(0)), e.b.CreateICmpSLT(o, e.c64(outs)));
  if (stride > 1) ok = e.b.CreateAnd(ok, e.b.CreateICmpEQ(e.b.CreateSRem(t, e.c64(stride)), e.c64(0)));
  return ok;
}

ConvShape::ConvShape(const ir::Shape& x, const ir::Shape& w, const ir::Attrs& a) {
  const ir::WindowAxis h = ir::window_rows(a, x[1], w[0]);
  const ir::WindowAxis v = ir::window_cols(a, x[2], w[1]);
  B = x[0], H = x[1], W = x[2], I = x[3], OH = h.out, OW = v.out, O = w[3], KH = w[0], KW = w[1];
  SH = a.stride_h, SW = a.stride_w, PH = h.pad_before, PW = v.pad_before, DH = a.dilation_h, DW = a.dilation_w;
  padded = a.padding != ir::Padding::Valid;
}

ConvImage conv_image(KernelFrame& f, const ConvShape& c, llvm::Value* x, llvm::Value* b) {
  Emitter& e = f.e;
  const std::int64_t size = c.H * c.W * c.I;
  if (!e.pixel_map(x) || size > kMaxImageTile) return {x, b};  // huge images convert per load
  llvm::Value* tile = e.local(e.f32, size);
  llvm::Value* first = e.mul(b, size);
  e.vector_loop(e.c64(0), e.c64(size), size % e.width == 0, [&](llvm::Value* i, llvm::Value* mask) {
    e.vstore(e.vload(x, e.add(first, i), e.width, mask), tile, i, mask);
  });
  return {tile, e.c64(0)};
}

namespace {

/// The rows and columns of x a padded conv's windows reach, from -PH and -PW.
std::pair<std::int64_t, std::int64_t> reach(const ConvShape& c) {
  return {(c.OH - 1) * c.SH + (c.KH - 1) * c.DH + 1, (c.OW - 1) * c.SW + (c.KW - 1) * c.DW + 1};
}

/// Spreads image b of src (H, W, C) over zeros into `tile` (rows x cols,
/// C): pixel (h, w) lands at (h * sh + top, w * sw + left) when inside. A
/// byte-fed src is widened on the way (vload applies the pixel map).
struct Spread {
  std::int64_t H, W, C, sh, sw, top, left, rows, cols;
};
void spread(KernelFrame& f, const Spread& s, llvm::Value* src, llvm::Value* b, llvm::Value* tile) {
  Emitter& e = f.e;
  e.zero(tile, e.c64(0), e.c64(s.rows * s.cols * s.C), e.f32);
  e.loop(0, s.H, [&](llvm::Value* h) {
    llvm::Value* r = e.add(e.mul(h, s.sh), s.top);
    e.when(inside(e, true, r, s.rows), [&] {
      e.loop(0, s.W, [&](llvm::Value* w) {
        llvm::Value* q = e.add(e.mul(w, s.sw), s.left);
        e.when(inside(e, true, q, s.cols), [&] {
          llvm::Value* from = e.mul(e.mad(e.mad(b, s.H, h), s.W, w), s.C);
          llvm::Value* to = e.mul(e.mad(r, s.cols, q), s.C);
          e.vector_loop(e.c64(0), e.c64(s.C), s.C % e.width == 0, [&](llvm::Value* i, llvm::Value* mask) {
            e.vstore(e.vload(src, e.add(from, i), e.width, mask), tile, e.add(to, i), mask);
          });
        });
      });
    });
  });
}

/// Image b of x copied inside zero borders into `tile` (reach(c) pixels):
/// read through the returned shape, a padded conv's taps have no bounds to
/// check.
ConvShape bordered_image(KernelFrame& f, const ConvShape& c, llvm::Value* x, llvm::Value* b, llvm::Value* tile) {
  const auto [TH, TW] = reach(c);
  spread(f, {c.H, c.W, c.I, 1, 1, c.PH, c.PW, TH, TW}, x, b, tile);
  ConvShape read = c;
  read.H = TH, read.W = TW, read.PH = 0, read.PW = 0, read.padded = false;
  return read;
}

}  // namespace

std::vector<std::vector<llvm::Value*>> conv_pixels(KernelFrame& f, const ConvShape& c, llvm::Value* x, llvm::Value* w,
                                                   llvm::Value* b,
                                                   const std::vector<std::pair<llvm::Value*, llvm::Value*>>& pixels) {
  Emitter& e = f.e;
  const std::int64_t OV = c.vectors(e.width);
  auto acc = accumulators(e, pixels.size(), OV);
  const std::int64_t unroll = c.KH * c.KW <= 25 ? 25 : 0;
  e.unrolled(0, c.KH, [&](llvm::Value* kh) {
    e.unrolled(0, c.KW, [&](llvm::Value* kw) {
      std::vector<llvm::Value*> ih(pixels.size()), ok(pixels.size()), row(pixels.size());
      for (std::size_t p = 0; p < pixels.size(); ++p) {
        ih[p] = e.add(e.mad(pixels[p].first, c.SH, e.mul(kh, c.DH)), -c.PH);
        llvm::Value* iw = e.add(e.mad(pixels[p].second, c.SW, e.mul(kw, c.DW)), -c.PW);
        ok[p] = c.padded ? e.b.CreateAnd(inside(e, true, ih[p], c.H), inside(e, true, iw, c.W)) : e.b.getTrue();
        row[p] = e.mul(e.mad(e.mad(b, c.H, ih[p]), c.W, iw), c.I);
      }
      e.unrolled(0, c.I, [&](llvm::Value* ci) {
        llvm::Value* wrow = e.mul(e.mad(e.mad(kh, c.KW, kw), c.I, ci), c.O);
        std::vector<llvm::Value*> wv;
        for (std::int64_t v = 0; v < OV; ++v) wv.push_back(e.vload(w, e.add(wrow, v * e.width), e.width, mask_of(e, c.O, v)));
        for (std::size_t p = 0; p < pixels.size(); ++p) {
          llvm::Value* xv = e.splat(load_if(e, ok[p], x, e.add(row[p], ci)), e.width);
          for (std::int64_t v = 0; v < OV; ++v) acc[p][v].set(e.fma(xv, wv[v], acc[p][v].get()));
        }
      }, 4);
    }, unroll);
  }, unroll);
  return values_of(acc);
}

void emit_conv(KernelFrame& f, RowRange rows) {
  const ir::Node& n = f.node(f.kernel.nodes.front());
  const ConvShape c(f.shape(n.inputs[0]), f.shape(n.inputs[1]), n.attrs);
  Emitter& e = f.e;
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Value* w = f.ptr(n.inputs[1]);
  Epilogue epilogue(f);
  const std::int64_t OV = c.vectors(e.width);
  const std::int64_t block = std::max<std::int64_t>(1, std::min({kMaxPixels, pixel_accumulators(e) / OV, c.OH * c.OW}));
  llvm::Value* tile = c.padded ? f.scratch(f.kernel.nodes.front(), f.tid) : nullptr;  // op_traits sizes it
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    const ConvShape read = c.padded ? bordered_image(f, c, x, b, tile) : c;
    const ConvImage image = c.padded ? ConvImage{tile, e.c64(0)} : conv_image(f, c, x, b);
    e.counted_blocks(e.c64(0), e.c64(c.OH * c.OW), block, [&](const std::function<llvm::Value*(std::int64_t)>& q,
                                                               const std::function<llvm::Value*(std::int64_t)>& fresh) {
      std::vector<std::pair<llvm::Value*, llvm::Value*>> pixels;
      for (std::int64_t p = 0; p < block; ++p)
        pixels.emplace_back(e.b.CreateSDiv(q(p), e.c64(c.OW)), e.b.CreateSRem(q(p), e.c64(c.OW)));
      const PixelFlat flat = [&](std::int64_t p, std::int64_t v) { return e.mad(e.mad(b, c.OH * c.OW, q(p)), c.O, e.c64(v * e.width)); };
      prefetch_pixels(epilogue, block, OV, flat);
      finish_pixels(e, epilogue, conv_pixels(f, read, image.base, w, image.image, pixels), c.O, flat, fresh);
    });
  });
  epilogue.close();
}

void emit_conv_grad_input(KernelFrame& f, RowRange rows) {
  const ir::Node& n = f.node(f.kernel.nodes.front());
  const ConvShape c(n.shape, f.shape(n.inputs[1]), n.attrs);
  Emitter& e = f.e;
  llvm::Value* g = f.ptr(n.inputs[0]);
  llvm::Value* w = f.ptr(n.inputs[1]);
  Epilogue epilogue(f);
  const std::int64_t IV = (c.I + e.width - 1) / e.width;
  // wT[kh,kw,co, ci] (rows padded to IV vectors) = w[kh,kw,ci,co], in the
  // thread's scratch (op_traits sizes it): ResNet's 3x3x512x512 takes 9 MB.
  const std::int64_t row = IV * e.width;
  llvm::Value* wt = f.scratch(f.kernel.nodes.front(), f.tid);
  e.loop(0, c.KH * c.KW, [&](llvm::Value* t) {
    e.loop(0, c.O, [&](llvm::Value* co) {
      e.loop(0, row, [&](llvm::Value* ci) {
        llvm::Value* ok = e.b.CreateICmpSLT(ci, e.c64(c.I));
        e.store(load_if(e, ok, w, e.mad(e.mad(t, c.I, ci), c.O, co)), wt, e.mad(e.mad(t, c.O, co), row, ci));
      });
    });
  });
  // The gradient tile: image b of g spread over zeros, g[oh, ow] at
  // (oh*SH + (KH-1)*DH - PH, ow*SW + (KW-1)*DW - PW), so that input pixel
  // (ih, iw) meets tap (kh, kw) at (ih + (KH-1-kh)*DH, iw + (KW-1-kw)*DW)
  // with no bounds to check: a tap outside g reads a zero, which adds
  // nothing (the sums keep the reference's order, kh, kw, co).
  const std::int64_t TH = c.H + (c.KH - 1) * c.DH, TW = c.W + (c.KW - 1) * c.DW;
  const std::int64_t top = (c.KH - 1) * c.DH - c.PH, left = (c.KW - 1) * c.DW - c.PW;
  llvm::Value* tile = e.b.CreateInBoundsGEP(e.f32, wt, e.c64(c.KH * c.KW * c.O * row));
  const std::int64_t block = std::max<std::int64_t>(1, std::min({kMaxPixels, pixel_accumulators(e) / IV, c.H * c.W}));
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    spread(f, {c.OH, c.OW, c.O, c.SH, c.SW, top, left, TH, TW}, g, b, tile);
    e.counted_blocks(e.c64(0), e.c64(c.H * c.W), block, [&](const std::function<llvm::Value*(std::int64_t)>& q,
                                                             const std::function<llvm::Value*(std::int64_t)>& fresh) {
      const auto pixels = static_cast<int>(block);
      std::vector<llvm::Value*> ih(static_cast<std::size_t>(pixels)), iw(static_cast<std::size_t>(pixels));
      for (int p = 0; p < pixels; ++p) {
        ih[p] = e.b.CreateSDiv(q(p), e.c64(c.W));
        iw[p] = e.b.CreateSRem(q(p), e.c64(c.W));
      }
      const PixelFlat flat = [&](std::int64_t p, std::int64_t v) { return e.mad(e.mad(b, c.H * c.W, q(p)), c.I, e.c64(v * e.width)); };
      prefetch_pixels(epilogue, block, IV, flat);
      auto acc = accumulators(e, static_cast<std::size_t>(pixels), IV);
      e.unrolled(0, c.KH, [&](llvm::Value* kh) {
        llvm::Value* dr = e.mul(e.b.CreateSub(e.c64(c.KH - 1), kh), c.DH);
        e.unrolled(0, c.KW, [&](llvm::Value* kw) {
          llvm::Value* q0 = e.mul(e.b.CreateSub(e.c64(c.KW - 1), kw), c.DW);
          std::vector<llvm::Value*> at(static_cast<std::size_t>(pixels));
          for (int p = 0; p < pixels; ++p) at[p] = e.mul(e.mad(e.b.CreateAdd(ih[p], dr), TW, e.add(iw[p], q0)), c.O);
          e.loop(0, c.O, [&](llvm::Value* co) {
            llvm::Value* wrow = e.mul(e.mad(e.mad(kh, c.KW, kw), c.O, co), row);
            std::vector<llvm::Value*> wv;
            for (std::int64_t v = 0; v < IV; ++v) wv.push_back(e.vload(wt, e.add(wrow, v * e.width), e.width, nullptr));
            for (int p = 0; p < pixels; ++p) {
              llvm::Value* gv = e.splat(e.load(e.f32, tile, e.add(at[p], co)), e.width);
              for (std::int64_t v = 0; v < IV; ++v) acc[p][v].set(e.fma(gv, wv[v], acc[p][v].get()));
            }
          });
        }, 5);
      }, 5);
      finish_pixels(e, epilogue, values_of(acc), c.I, flat, fresh);
    });
  });
  epilogue.close();
}

void emit_conv_grad_filter_partial(KernelFrame& f, ir::NodeId id, RowRange rows) {
  const ir::Node& n = f.node(id);
  const ConvShape c(f.shape(n.inputs[0]), n.shape, n.attrs);
  Emitter& e = f.e;
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Value* g = f.ptr(n.inputs[1]);
  const std::int64_t size = ir::element_count(n.shape), OV = c.vectors(e.width);
  llvm::Value* total = f.scratch(id, f.tid);  // doubles, then the image's floats
  llvm::Value* image = e.b.CreateInBoundsGEP(e.b.getInt8Ty(), total, e.c64(size * 8));
  e.zero(total, e.c64(0), e.c64(size), e.f64);
  // dw is a GEMM over the image's pixels: (taps = kh,kw,ci) x (channel
  // vectors), each pixel one rank-1 update. A register tile of up to TR taps
  // x VR vectors (VR divides the vectors) takes one pass over the pixels: VR
  // loads of g and one broadcast of x per tap feed TR x VR multiply-adds.
  // A tap's x sits at a fixed offset from the pixel's window corner, worked
  // out before the pixel loop: when a (kh, kw) has at least TR channels,
  // tiles stay within one (kh, kw) and the offsets are constants from one
  // pointer; narrower inputs (I < TR) tile the flat taps, in registers or
  // (few tiles) as constants. Every element still sums its pixels in order,
  // in float.
  const std::int64_t taps = c.KH * c.KW * c.I;
  const std::int64_t budget = accumulator_budget(e);  // kernel_frame.hpp
  std::int64_t VR = 1;
  for (std::int64_t v : {4, 3, 2})
    if (OV % v == 0) {
      VR = v;
      break;
    }
  const std::int64_t TR = std::min(taps, std::max<std::int64_t>(1, budget / VR));
  const bool ragged = c.O % e.width != 0;  // the last vector is part of one
  // Under padding, each image is first copied inside zero borders.
  llvm::Value* bordered = c.padded ? e.b.CreateInBoundsGEP(e.b.getInt8Ty(), total, e.c64(size * 12)) : nullptr;
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    const ConvShape read = c.padded ? bordered_image(f, c, x, b, bordered) : c;
    const ConvImage xi = c.padded ? ConvImage{bordered, e.c64(0)} : conv_image(f, c, x, b);
    /// The offset in x of tap t from its pixel's window corner.
    auto tap_offset = [&](llvm::Value* t) {
      llvm::Value* kh = e.b.CreateSDiv(t, e.c64(c.KW * c.I));
      llvm::Value* kw = e.b.CreateSRem(e.b.CreateSDiv(t, e.c64(c.I)), e.c64(c.KW));
      return e.add(e.mul(e.mad(e.mul(kh, c.DH), read.W, e.mul(kw, c.DW)), c.I), e.b.CreateSRem(t, e.c64(c.I)));
    };
    // Taps t0 + j (x at corner + offset[j]) x vectors [v0, v0 + VR).
    auto tile = [&](llvm::Value* t0, const std::vector<llvm::Value*>& offset, llvm::Value* v0) {
      const auto count = static_cast<std::int64_t>(offset.size());
      std::vector<llvm::Value*> mask;
      for (std::int64_t k = 0; k < VR; ++k)
        mask.push_back(ragged ? e.first_lanes(e.width, e.b.CreateSub(e.c64(c.O), e.mul(e.add(v0, k), e.width))) : nullptr);
      auto acc = accumulators(e, static_cast<std::size_t>(count), VR);
      e.loop(0, c.OH, [&](llvm::Value* oh) {
        llvm::Value* row = e.mad(xi.image, read.H, e.add(e.mul(oh, c.SH), -read.PH));
        e.loop(0, c.OW, [&](llvm::Value* ow) {
          llvm::Value* gat = e.add(e.mul(e.mad(e.mad(b, c.OH, oh), c.OW, ow), c.O), e.mul(v0, e.width));
          std::vector<llvm::Value*> gv;
          for (std::int64_t k = 0; k < VR; ++k) gv.push_back(e.vload(g, e.add(gat, k * e.width), e.width, mask[k]));
          llvm::Value* corner = e.mul(e.mad(row, read.W, e.add(e.mul(ow, c.SW), -read.PW)), c.I);
          for (std::int64_t j = 0; j < count; ++j) {
            llvm::Value* xv = e.splat(e.load(e.f32, xi.base, e.add(corner, offset[j])), e.width);
            for (std::int64_t k = 0; k < VR; ++k) acc[j][k].set(e.fma(xv, gv[k], acc[j][k].get()));
          }
        });
      });
      for (std::int64_t j = 0; j < count; ++j)
        for (std::int64_t k = 0; k < VR; ++k)
          e.vstore(acc[j][k].get(), image, e.add(e.mul(e.add(t0, j), c.O), e.mul(e.add(v0, k), e.width)), mask[k]);
    };
    /// A tile of `count` taps from t0 that lie side by side in x (one
    /// (kh, kw), consecutive channels): tap t0 + j at offset0 + j.
    auto run = [&](llvm::Value* t0, llvm::Value* offset0, std::int64_t count, llvm::Value* v0) {
      std::vector<llvm::Value*> offset;
      for (std::int64_t j = 0; j < count; ++j) offset.push_back(e.add(offset0, j));
      tile(t0, offset, v0);
    };
    e.loop(0, OV / VR, [&](llvm::Value* vb) {
      llvm::Value* v0 = e.mul(vb, VR);
      if (c.I >= TR) {
        // Tiles within one (kh, kw): n = ceil(I / TR) tiles, `wide` of them
        // one channel wider than the rest (32 channels, TR 6: 6 6 5 5 5 5).
        const std::int64_t n = (c.I + TR - 1) / TR, narrow = c.I / n, wide = c.I - narrow * n;
        e.loop(0, c.KH * c.KW, [&](llvm::Value* k) {
          llvm::Value* t = e.mul(k, c.I);
          llvm::Value* base = tap_offset(t);
          auto tiles = [&](std::int64_t first, std::int64_t count, std::int64_t width) {
            if (count == 0) return;
            e.loop(0, count, [&](llvm::Value* i) {
              llvm::Value* ci = e.add(e.mul(i, width), first);
              run(e.add(t, ci), e.add(base, ci), width, v0);
            });
          };
          tiles(0, wide, narrow + 1);
          tiles(wide * (narrow + 1), n - wide, narrow);
        });
      } else {
        // Flat taps: offsets from each tap's (kh, kw, ci).
        auto flat = [&](llvm::Value* t0, std::int64_t count) {
          std::vector<llvm::Value*> offset;
          for (std::int64_t j = 0; j < count; ++j) offset.push_back(tap_offset(e.add(t0, j)));
          tile(t0, offset, v0);
        };
        e.unrolled(0, taps / TR, [&](llvm::Value* tb) { flat(e.mul(tb, TR), TR); }, 4);
        if (taps % TR) flat(e.c64(taps / TR * TR), taps % TR);
      }
    });
    // total += the image's sums, in double.
    e.loop(0, size, [&](llvm::Value* i) {
      e.store(e.b.CreateFAdd(e.load(e.f64, total, i), e.to_f64(e.load(e.f32, image, i))), total, i);
    });
  });
}

}  // namespace tl::codegen
