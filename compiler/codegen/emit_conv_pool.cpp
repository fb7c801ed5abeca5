// Max pooling over non-overlapping windows (valid padding, stride = window),
// alone or fused with the conv that feeds it: each pooled output computes
// its window's conv pixels (through the conv's chain: bias, activation) in
// registers and keeps their maximum, so the conv output never goes to
// memory. The argmax (the first maximum's ordinal kh * KW + kw in the window,
// TF's tie rule) is saved for the gradient, which then writes each input
// cell once: g at the argmax, 0 elsewhere. Those cell values can feed the
// conv's bias and filter gradients straight from registers (PoolGrads), so
// the conv output's gradient never goes to memory either. Overlapping or
// padded pools take the general path (emit_pool.cpp); their gradient also
// reads the argmax.
// Legend: x (B,H,W,C) the pool's input, pooled/g (B,OH,OW,C).
#include <algorithm>
#include <optional>

#include <llvm/IR/IntrinsicsX86.h>

#include "compiler/codegen/kernel_frame.hpp"

namespace tl::codegen {

using ir::NodeId;
using ir::OpKind;

namespace {

struct Windows {
  std::int64_t H, W, C, OH, OW, KH, KW;
  Windows(const ir::Shape& x, const ir::Attrs& a)
      : H(x[1]), W(x[2]), C(x[3]), OH(x[1] / a.window_h), OW(x[2] / a.window_w), KH(a.window_h), KW(a.window_w) {}
  std::int64_t cells() const { return KH * KW; }
};

llvm::Value* lanes_mask(Emitter& e, std::int64_t channels, std::int64_t v) {
  const std::int64_t active = channels - v * e.width;
  return active >= e.width ? nullptr : e.first_lanes(e.width, active);
}

/// The input pixels one pool window's conv pixels read, as one vector: rows
/// x cols floats of a single-channel image, row-major. A filter gradient
/// that fits reads each lane's argmax pixel out of it with a permute, one
/// FMA per tap, instead of one FMA per window cell, all but one of which
/// would multiply zeros (the cells that are not the maximum get no gradient).
struct Patch {
  std::int64_t rows = 0, cols = 0;
  static Patch of(const Emitter& e, const Windows& win, const ConvShape& c) {
    const Patch p{(win.KH - 1) * c.SH + (c.KH - 1) * c.DH + 1, (win.KW - 1) * c.SW + (c.KW - 1) * c.DW + 1};
    const bool fits = e.width == 16 && c.I == 1 && !c.padded && p.cols >= 2 && p.rows * p.cols <= 16;
    return fits ? p : Patch{};
  }
  bool used() const { return rows > 0; }
  /// The patch of window (ph, pw) of image `image` read through `base`.
  llvm::Value* load(Emitter& e, const Windows& win, const ConvShape& c, llvm::Value* base, llvm::Value* image,
                    llvm::Value* ph, llvm::Value* pw) const {
    llvm::Type* floats = e.vec(e.width, e.f32);
    llvm::Value* top = e.mul(ph, win.KH * c.SH);
    llvm::Value* left = e.mul(pw, win.KW * c.SW);
    llvm::Value* patch = e.constant(floats, 0.0);
    for (std::int64_t r = 0; r < rows; ++r) {
      llvm::Value* row = e.vload(base, e.mad(e.mad(image, c.H, e.add(top, r)), c.W, left), static_cast<int>(cols), nullptr);
      std::vector<int> widen(static_cast<std::size_t>(e.width), -1), merge(static_cast<std::size_t>(e.width));
      for (int l = 0; l < e.width; ++l) {
        const bool here = l >= r * cols && l < (r + 1) * cols;
        if (here) widen[static_cast<std::size_t>(l)] = static_cast<int>(l - r * cols);
        merge[static_cast<std::size_t>(l)] = here ? e.width + l : l;
      }
      patch = e.b.CreateShuffleVector(patch, e.b.CreateShuffleVector(row, widen), merge);
    }
    return patch;
  }
  /// Lane by lane, the patch index of the argmax cell's first tap.
  llvm::Value* first_taps(Emitter& e, const Windows& win, const ConvShape& c, llvm::Value* arg) const {
    llvm::Type* ints = e.vec(e.width, e.i32);
    auto splat = [&](std::int64_t v) { return llvm::ConstantInt::get(ints, static_cast<std::uint64_t>(v)); };
    llvm::Value* cell_row = e.b.CreateUDiv(arg, splat(win.KW));
    llvm::Value* cell_col = e.b.CreateURem(arg, splat(win.KW));
    return e.b.CreateAdd(e.b.CreateMul(cell_row, splat(c.SH * cols)), e.b.CreateMul(cell_col, splat(c.SW)));
  }
  /// The input pixel tap (kh, kw) reads for each lane's argmax cell.
  llvm::Value* tap(Emitter& e, const ConvShape& c, llvm::Value* patch, llvm::Value* first, std::int64_t kh,
                   std::int64_t kw) const {
    llvm::Value* offset = llvm::ConstantInt::get(e.vec(e.width, e.i32), static_cast<std::uint64_t>(kh * c.DH * cols + kw * c.DW));
    return e.b.CreateIntrinsic(llvm::Intrinsic::x86_avx512_permvar_sf_512, {}, {patch, e.b.CreateAdd(first, offset)});
  }
};

}  // namespace

void emit_conv_pool(KernelFrame& f, RowRange rows) {
  Emitter& e = f.e;
  const std::vector<NodeId>& nodes = f.kernel.nodes;
  std::size_t at_pool = 0;
  while (f.node(nodes[at_pool]).op != OpKind::MaxPool2D) ++at_pool;
  const std::vector<NodeId> conv_side(nodes.begin(), nodes.begin() + static_cast<std::ptrdiff_t>(at_pool));
  const std::vector<NodeId> pool_side(nodes.begin() + static_cast<std::ptrdiff_t>(at_pool), nodes.end());
  const NodeId pool = pool_side.front();
  const ir::Node& p = f.node(pool);
  const Windows win(f.shape(p.inputs[0]), p.attrs);
  const std::int64_t V = (win.C + e.width - 1) / e.width, cells = win.cells();
  const bool fused = !conv_side.empty();
  llvm::Value* source = fused ? nullptr : f.ptr(p.inputs[0]);
  llvm::Value* arg_out = f.plan.argmax[static_cast<std::size_t>(pool)].kind == StorageKind::Arena ? f.argmax(pool) : nullptr;
  Epilogue after(f, pool_side);
  llvm::Type* ints = e.vec(e.width, e.i32);
  // Pooled columns per block: the conv keeps cells x V accumulators per window.
  const std::int64_t block = fused ? std::max<std::int64_t>(1, std::min<std::int64_t>({4, pixel_accumulators(e) / (cells * V), win.OW})) : 1;

  std::unique_ptr<ConvShape> conv;
  if (fused) {
    const ir::Node& c = f.node(conv_side.front());
    conv = std::make_unique<ConvShape>(f.shape(c.inputs[0]), f.shape(c.inputs[1]), c.attrs);
  }

  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    const ConvImage image = fused ? conv_image(f, *conv, f.ptr(f.node(conv_side.front()).inputs[0]), b) : ConvImage{nullptr, b};
    e.loop(0, win.OH, [&](llvm::Value* ph) {
      e.blocks(e.c64(0), e.c64(win.OW), block, [&](const std::function<llvm::Value*(std::int64_t)>& pw_of) {
        // The conv pixels of the block's windows, in window-major scan order.
        std::vector<std::vector<llvm::Value*>> acc;
        if (fused) {
          std::vector<std::pair<llvm::Value*, llvm::Value*>> pixels;
          for (std::int64_t q = 0; q < block; ++q)
            for (std::int64_t i = 0; i < cells; ++i)
              pixels.emplace_back(e.add(e.mul(ph, win.KH), i / win.KW), e.add(e.mul(pw_of(q), win.KW), i % win.KW));
          acc = conv_pixels(f, *conv, image.base, f.ptr(f.node(conv_side.front()).inputs[1]), image.image, pixels);
        }
        for (std::int64_t v = 0; v < V; ++v) {
          llvm::Value* mask = lanes_mask(e, win.C, v);
          for (std::int64_t q = 0; q < block; ++q) {
            llvm::Value* pw = pw_of(q);
            llvm::Value* best = nullptr;
            llvm::Value* arg = llvm::ConstantInt::get(ints, 0);
            for (std::int64_t i = 0; i < cells; ++i) {
              llvm::Value* ih = e.add(e.mul(ph, win.KH), i / win.KW);
              llvm::Value* iw = e.add(e.mul(pw, win.KW), i % win.KW);
              llvm::Value* flat = e.add(e.mul(e.mad(e.mad(b, win.H, ih), win.W, iw), win.C), v * e.width);
              llvm::Value* value = fused ? Epilogue(f, conv_side).apply(acc[static_cast<std::size_t>(q * cells + i)][static_cast<std::size_t>(v)],
                                                                        flat, e.c64(v * e.width), mask)
                                         : e.vload(source, flat, e.width, mask);
              if (!best) {
                best = value;
                continue;
              }
              llvm::Value* better = e.b.CreateFCmpOGT(value, best);  // strict: the first maximum wins
              arg = e.b.CreateSelect(better, llvm::ConstantInt::get(ints, static_cast<std::uint64_t>(i)), arg);
              best = e.max_of(best, value);
            }
            llvm::Value* pooled = e.add(e.mul(e.mad(e.mad(b, win.OH, ph), win.OW, pw), win.C), v * e.width);
            after.finish(best, pooled, e.c64(v * e.width), mask);
            if (arg_out) e.vstore(arg, arg_out, pooled, mask);
          }
        }
      });
    });
  });
}

void emit_max_pool_grad_argmax(KernelFrame& f, RowRange rows) {
  Emitter& e = f.e;
  const NodeId id = f.kernel.nodes.front();
  const ir::Node& n = f.node(id);
  const NodeId pool = f.plan.argmax_of[static_cast<std::size_t>(id)];
  const ir::Attrs& a = n.attrs;
  const ir::Shape& xs = n.shape;
  const ir::WindowAxis hs = ir::window_rows(a, xs[1], a.window_h);
  const ir::WindowAxis ws = ir::window_cols(a, xs[2], a.window_w);
  const std::int64_t H = xs[1], W = xs[2], C = xs[3], OH = hs.out, OW = ws.out, KH = a.window_h, KW = a.window_w;
  const std::int64_t V = (C + e.width - 1) / e.width;
  const bool disjoint = a.padding == ir::Padding::Valid && a.stride_h >= KH && a.stride_w >= KW;
  const bool covers = disjoint && a.stride_h == KH && a.stride_w == KW && H == OH * KH && W == OW * KW;
  llvm::Value* g = f.ptr(n.inputs[1]);
  llvm::Value* dx = f.ptr(id);
  llvm::Value* args = f.argmax(pool);
  llvm::Type* floats = e.vec(e.width, e.f32);
  // Windows that tile the image write each cell once, through the kernel's
  // epilogue (fusion.cpp, pool_grad_chains).
  std::optional<Epilogue> epilogue;
  if (covers) epilogue.emplace(f);
  // Cells outside every window (or reached twice) need the zeroed image.
  if (!covers) e.zero(dx, e.mul(rows.first, H * W * C), e.mul(e.b.CreateSub(rows.last, rows.first), H * W * C), e.f32);
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    e.loop(0, OH, [&](llvm::Value* oh) {
      e.loop(0, OW, [&](llvm::Value* ow) {
        llvm::Value* top = e.add(e.mul(oh, a.stride_h), -hs.pad_before);
        llvm::Value* left = e.add(e.mul(ow, a.stride_w), -ws.pad_before);
        for (std::int64_t v = 0; v < V; ++v) {
          llvm::Value* mask = lanes_mask(e, C, v);
          llvm::Value* pooled = e.add(e.mul(e.mad(e.mad(b, OH, oh), OW, ow), C), v * e.width);
          llvm::Value* arg = e.vload(args, pooled, e.width, mask, e.i32);
          llvm::Value* gv = e.vload(g, pooled, e.width, mask);
          auto cell = [&](llvm::Value* kh, llvm::Value* kw) {
            llvm::Value* to = e.add(e.mul(e.mad(e.mad(b, H, e.add(top, kh)), W, e.add(left, kw)), C), v * e.width);
            llvm::Value* ordinal = e.splat(e.b.CreateTrunc(e.mad(kh, KW, kw), e.i32), e.width);
            llvm::Value* share = e.b.CreateSelect(e.b.CreateICmpEQ(arg, ordinal), gv, e.constant(floats, 0.0));
            if (epilogue)
              epilogue->finish(share, to, e.c64(v * e.width), mask);
            else
              e.vstore(disjoint ? share : e.b.CreateFAdd(e.vload(dx, to, e.width, mask), share), dx, to, mask);
          };
          if (disjoint) {
            e.unrolled(0, KH, [&](llvm::Value* kh) { e.unrolled(0, KW, [&](llvm::Value* kw) { cell(kh, kw); }); });
            continue;
          }
          // Padded windows: only the taps inside the input.
          llvm::Value* kh_lo = e.smax(e.c64(0), e.b.CreateNeg(top));
          llvm::Value* kh_hi = e.smin(e.c64(KH), e.b.CreateSub(e.c64(H), top));
          llvm::Value* kw_lo = e.smax(e.c64(0), e.b.CreateNeg(left));
          llvm::Value* kw_hi = e.smin(e.c64(KW), e.b.CreateSub(e.c64(W), left));
          e.loop(kh_lo, kh_hi, [&](llvm::Value* kh) { e.loop(kw_lo, kw_hi, [&](llvm::Value* kw) { cell(kh, kw); }); });
        }
      });
    });
  });
  if (epilogue) epilogue->close();
}

void emit_pool_grads(KernelFrame& f, RowRange rows) {
  // Per image: for each window and channel vector, the cells' gradients
  // (g at the argmax) are added to the channel sums (double) and, tap by tap,
  // to the filter gradients' per-image float accumulators; each image's
  // accumulators are then added to the thread's double totals.
  Emitter& e = f.e;
  const NodeId grad = f.kernel.nodes.front();
  const ir::Node& n = f.node(grad);
  const NodeId pool = f.plan.argmax_of[static_cast<std::size_t>(grad)];
  const Windows win(n.shape, n.attrs);
  const std::int64_t V = (win.C + e.width - 1) / e.width, cells = win.cells();
  llvm::Value* g = f.ptr(n.inputs[1]);
  llvm::Value* args = f.argmax(pool);
  llvm::Value* dx = f.ptr(grad);  // null unless another kernel reads the gradient
  llvm::Type* floats = e.vec(e.width, e.f32);
  llvm::Type* doubles = e.vec(e.width, e.f64);
  struct Filter {
    NodeId id;
    ConvShape shape;
    llvm::Value* x;
    llvm::Value* total;
    llvm::Value* image;
    std::vector<std::vector<Emitter::Var>> acc;  // [tap][channel vector]
    ConvImage input{nullptr, nullptr};           // where the current image of x is read
    Patch patch;                                 // used: taps read from the window's patch
    llvm::Value* window = nullptr;               // the current window's patch
  };
  std::vector<std::pair<NodeId, std::vector<Emitter::Var>>> sums;
  std::vector<Filter> filters;
  // A relu between conv and pool: its gradient is g where the relu's output
  // at the argmax cell is positive.
  llvm::Value* relu_out = nullptr;
  for (std::size_t m = 1; m < f.kernel.nodes.size(); ++m) {
    const NodeId id = f.kernel.nodes[m];
    const ir::Node& r = f.node(id);
    if (r.op == OpKind::ReluGrad) {
      relu_out = f.ptr(r.inputs[0]);
      continue;
    }
    if (r.op == OpKind::ChannelSum) {
      sums.emplace_back(id, std::vector<Emitter::Var>{});
      for (std::int64_t v = 0; v < V; ++v) sums.back().second.push_back(e.var(doubles, e.constant(doubles, 0.0)));
      continue;
    }
    llvm::Value* total = f.scratch(id, f.tid);  // doubles, then the image's floats
    const std::int64_t size = ir::element_count(r.shape);
    e.zero(total, e.c64(0), e.c64(size), e.f64);
    const ConvShape shape(f.shape(r.inputs[0]), r.shape, r.attrs);
    filters.push_back({id, shape, f.ptr(r.inputs[0]), total, e.b.CreateInBoundsGEP(e.b.getInt8Ty(), total, e.c64(size * 8)),
                       {}, ConvImage{nullptr, nullptr}, Patch::of(e, win, shape), nullptr});
  }
  // Whether the window's cells are visited one by one: for a gradient another
  // kernel reads, or a filter whose patch does not fit a vector.
  const bool by_cell = dx || std::any_of(filters.begin(), filters.end(), [](const Filter& flt) { return !flt.patch.used(); });
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    for (Filter& flt : filters) {
      flt.input = conv_image(f, flt.shape, flt.x, b);
      flt.acc.clear();
      for (std::int64_t t = 0; t < flt.shape.KH * flt.shape.KW * flt.shape.I; ++t) {
        flt.acc.emplace_back();
        for (std::int64_t v = 0; v < V; ++v) flt.acc.back().push_back(e.var(floats, e.constant(floats, 0.0)));
      }
    }
    e.loop(0, win.OH, [&](llvm::Value* ph) {
      e.loop(0, win.OW, [&](llvm::Value* pw) {
        for (Filter& flt : filters)
          if (flt.patch.used()) flt.window = flt.patch.load(e, win, flt.shape, flt.input.base, flt.input.image, ph, pw);
        for (std::int64_t v = 0; v < V; ++v) {
          llvm::Value* mask = lanes_mask(e, win.C, v);
          llvm::Value* pooled = e.add(e.mul(e.mad(e.mad(b, win.OH, ph), win.OW, pw), win.C), v * e.width);
          llvm::Value* arg = e.vload(args, pooled, e.width, mask, e.i32);
          llvm::Value* g_pool = e.vload(g, pooled, e.width, mask);  // the pool's gradient (dx holds it)
          llvm::Value* gv = g_pool;                                  // what the sums and filters read
          // Cell i of the window: where it is in the pool's input, and the lanes whose argmax it is.
          auto cell_at = [&](std::int64_t i) {
            llvm::Value* oh = e.add(e.mul(ph, win.KH), i / win.KW);
            llvm::Value* ow = e.add(e.mul(pw, win.KW), i % win.KW);
            return e.add(e.mul(e.mad(e.mad(b, win.H, oh), win.W, ow), win.C), v * e.width);
          };
          auto argmax_is = [&](std::int64_t i) {
            return e.b.CreateICmpEQ(arg, llvm::ConstantInt::get(e.vec(e.width, e.i32), static_cast<std::uint64_t>(i)));
          };
          if (relu_out) {
            llvm::Value* y = nullptr;  // the relu's output at each lane's argmax cell
            for (std::int64_t i = 0; i < cells; ++i) {
              llvm::Value* cell = e.vload(relu_out, cell_at(i), e.width, mask);
              y = y ? e.b.CreateSelect(argmax_is(i), cell, y) : cell;
            }
            gv = e.b.CreateSelect(e.b.CreateFCmpOGT(y, e.constant(floats, 0.0)), g_pool, e.constant(floats, 0.0));
          }
          // A window's cells hold g once (at the argmax) and zeros: their sum is g.
          for (auto& [id, acc] : sums) acc[v].set(e.b.CreateFAdd(acc[v].get(), e.b.CreateFPExt(gv, doubles)));
          // Only the argmax cell adds to a filter's taps: g times its input pixel.
          for (Filter& flt : filters) {
            if (!flt.patch.used()) continue;
            const ConvShape& c = flt.shape;
            llvm::Value* first = flt.patch.first_taps(e, win, c, arg);
            for (std::int64_t kh = 0; kh < c.KH; ++kh)
              for (std::int64_t kw = 0; kw < c.KW; ++kw) {
                const auto t = static_cast<std::size_t>(kh * c.KW + kw);
                flt.acc[t][v].set(e.fma(flt.patch.tap(e, c, flt.window, first, kh, kw), gv, flt.acc[t][v].get()));
              }
          }
          if (!by_cell) continue;
          for (std::int64_t i = 0; i < cells; ++i) {
            llvm::Value* oh = e.add(e.mul(ph, win.KH), i / win.KW);
            llvm::Value* ow = e.add(e.mul(pw, win.KW), i % win.KW);
            llvm::Value* here = argmax_is(i);
            llvm::Value* d = e.b.CreateSelect(here, gv, e.constant(floats, 0.0));
            if (dx) e.vstore(e.b.CreateSelect(here, g_pool, e.constant(floats, 0.0)), dx, cell_at(i), mask);
            for (Filter& flt : filters) {
              if (flt.patch.used()) continue;
              const ConvShape& c = flt.shape;
              for (std::int64_t t = 0; t < c.KH * c.KW * c.I; ++t) {
                const std::int64_t kh = t / (c.KW * c.I), kw = t / c.I % c.KW, ci = t % c.I;
                llvm::Value* ih = e.add(e.mul(oh, c.SH), kh * c.DH - c.PH);
                llvm::Value* iw = e.add(e.mul(ow, c.SW), kw * c.DW - c.PW);
                llvm::Value* at = e.mad(e.mad(e.mad(flt.input.image, c.H, ih), c.W, iw), c.I, e.c64(ci));
                llvm::Value* xv = e.load(e.f32, flt.input.base, at);
                if (c.padded) {
                  llvm::Value* ok = e.b.CreateAnd(e.b.CreateAnd(e.b.CreateICmpSGE(ih, e.c64(0)), e.b.CreateICmpSLT(ih, e.c64(c.H))),
                                                  e.b.CreateAnd(e.b.CreateICmpSGE(iw, e.c64(0)), e.b.CreateICmpSLT(iw, e.c64(c.W))));
                  xv = e.b.CreateSelect(ok, e.load(e.f32, flt.input.base, e.b.CreateSelect(ok, at, e.c64(0))), e.cf(0.0f));
                }
                flt.acc[t][v].set(e.fma(e.splat(xv, e.width), d, flt.acc[t][v].get()));
              }
            }
          }
        }
      });
    });
    // The image's filter sums join the thread's totals, in double.
    for (Filter& flt : filters) {
      const ConvShape& c = flt.shape;
      for (std::size_t t = 0; t < flt.acc.size(); ++t)
        for (std::int64_t v = 0; v < V; ++v)
          e.vstore(flt.acc[t][v].get(), flt.image, e.c64(static_cast<std::int64_t>(t) * c.O + v * e.width), lanes_mask(e, c.O, v));
      e.loop(0, c.KH * c.KW * c.I * c.O, [&](llvm::Value* i) {
        e.store(e.b.CreateFAdd(e.load(e.f64, flt.total, i), e.to_f64(e.load(e.f32, flt.image, i))), flt.total, i);
      });
    }
  });
  for (auto& [id, acc] : sums)
    for (std::int64_t v = 0; v < V; ++v) e.vstore(acc[v].get(), f.scratch(id, f.tid), e.c64(v * e.width), lanes_mask(e, win.C, v));
}

}  // namespace tl::codegen
