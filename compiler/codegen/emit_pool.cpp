// Max, average and global max pooling and their gradients, as vectors over
// the channel axis, for any window (padded, overlapping); non-overlapping max
// pools and gradients from a saved argmax are in emit_conv_pool.cpp. TF semantics, as kernels_pool.cpp: padding cells are
// skipped, ties go to the first maximum in scan order (row-major kh, kw),
// and a gradient adds g at its window's argmax (or spread over an average's
// real cells) window by window, so overlapping windows sum in the same order.
// Legend: x/dx (B,H,W,C), pooled/g (B,OH,OW,C).
#include "compiler/codegen/kernel_frame.hpp"

namespace tl::codegen {

using ir::OpKind;

namespace {

struct Pool {
  KernelFrame& f;
  Emitter& e;
  std::int64_t H, W, C, OH, OW, KH, KW, SH, SW, PH, PW;

  Pool(KernelFrame& frame, const ir::Shape& x, const ir::Attrs& a) : f(frame), e(frame.e) {
    const ir::WindowAxis h = ir::window_rows(a, x[1], a.window_h);
    const ir::WindowAxis w = ir::window_cols(a, x[2], a.window_w);
    H = x[1], W = x[2], C = x[3], OH = h.out, OW = w.out, KH = a.window_h, KW = a.window_w;
    SH = a.stride_h, SW = a.stride_w, PH = h.pad_before, PW = w.pad_before;
  }

  std::int64_t vectors() const { return (C + e.width - 1) / e.width; }
  llvm::Value* mask_of(std::int64_t v) {
    const std::int64_t active = C - v * e.width;
    return active >= e.width ? nullptr : e.first_lanes(e.width, active);
  }

  /// The window of output (oh, ow): taps [kh_lo, kh_hi) x [kw_lo, kw_hi) read input (top + kh, left + kw).
  struct Taps {
    llvm::Value *top, *left, *kh_lo, *kh_hi, *kw_lo, *kw_hi;
  };
  Taps taps(llvm::Value* oh, llvm::Value* ow) {
    llvm::Value* top = e.add(e.mul(oh, SH), -PH);
    llvm::Value* left = e.add(e.mul(ow, SW), -PW);
    return {top, left, e.smax(e.c64(0), e.b.CreateNeg(top)), e.smin(e.c64(KH), e.b.CreateSub(e.c64(H), top)),
            e.smax(e.c64(0), e.b.CreateNeg(left)), e.smin(e.c64(KW), e.b.CreateSub(e.c64(W), left))};
  }

  /// Offset of x[b, ih, iw, 0].
  llvm::Value* cell(llvm::Value* b, llvm::Value* ih, llvm::Value* iw) { return e.mul(e.mad(e.mad(b, H, ih), W, iw), C); }

  /// Calls fn(b, taps, offset of pooled[b,oh,ow,0]) for every window of images `rows`.
  void for_each_window(RowRange rows, const std::function<void(llvm::Value*, const Taps&, llvm::Value*)>& fn) {
    e.loop(rows.first, rows.last, [&](llvm::Value* b) {
      e.loop(0, OH, [&](llvm::Value* oh) {
        e.loop(0, OW, [&](llvm::Value* ow) { fn(b, taps(oh, ow), e.mul(e.mad(e.mad(b, OH, oh), OW, ow), C)); });
      });
    });
  }

  /// Calls fn(offset of the cell's x[.., 0], ordinal kh * KW + kw) in scan order.
  void for_each_cell(llvm::Value* b, const Taps& t, const std::function<void(llvm::Value*, llvm::Value*)>& fn) {
    e.loop(t.kh_lo, t.kh_hi, [&](llvm::Value* kh) {
      e.loop(t.kw_lo, t.kw_hi, [&](llvm::Value* kw) {
        fn(cell(b, e.add(t.top, kh), e.add(t.left, kw)), e.b.CreateTrunc(e.mad(kh, KW, kw), e.i32));
      });
    });
  }

  /// Offset of the window's first cell and its ordinal.
  std::pair<llvm::Value*, llvm::Value*> first_cell(llvm::Value* b, const Taps& t) {
    return {cell(b, e.add(t.top, t.kh_lo), e.add(t.left, t.kw_lo)), e.b.CreateTrunc(e.mad(t.kh_lo, KW, t.kw_lo), e.i32)};
  }

  void zero_images(llvm::Value* base, RowRange rows, std::int64_t image) {
    e.zero(base, e.mul(rows.first, image), e.mul(e.b.CreateSub(rows.last, rows.first), image), e.f32);
  }
};

void max_pool(KernelFrame& f, const ir::Node& n, ir::NodeId id, RowRange rows) {
  // Also saves the argmax (ordinal kh * KW + kw of the first maximum) when a gradient uses it.
  Pool p(f, f.shape(n.inputs[0]), n.attrs);
  Emitter& e = p.e;
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Value* arg_out = f.plan.argmax[static_cast<std::size_t>(id)].kind == StorageKind::Arena ? f.argmax(id) : nullptr;
  llvm::Type* ints = e.vec(e.width, e.i32);
  Epilogue epilogue(f);
  p.for_each_window(rows, [&](llvm::Value* b, const Pool::Taps& t, llvm::Value* at) {
    for (std::int64_t v = 0; v < p.vectors(); ++v) {
      llvm::Value* mask = p.mask_of(v);
      const auto [first, first_ordinal] = p.first_cell(b, t);
      Emitter::Var best = e.var(e.vec(e.width, e.f32), e.vload(x, e.add(first, v * e.width), e.width, mask));
      Emitter::Var arg = e.var(ints, e.splat(first_ordinal, e.width));
      p.for_each_cell(b, t, [&](llvm::Value* base, llvm::Value* ordinal) {
        llvm::Value* xv = e.vload(x, e.add(base, v * e.width), e.width, mask);
        if (arg_out) arg.set(e.b.CreateSelect(e.b.CreateFCmpOGT(xv, best.get()), e.splat(ordinal, e.width), arg.get()));
        best.set(e.max_of(best.get(), xv));
      });
      epilogue.finish(best.get(), e.add(at, v * e.width), e.c64(v * e.width), mask);
      if (arg_out) e.vstore(arg.get(), arg_out, e.add(at, v * e.width), mask);
    }
  });
}

void max_pool_grad(KernelFrame& f, const ir::Node& n, ir::NodeId id, RowRange rows) {
  Pool p(f, f.shape(n.inputs[0]), n.attrs);
  Emitter& e = p.e;
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Value* g = f.ptr(n.inputs[1]);
  llvm::Value* dx = f.ptr(id);
  llvm::Type* floats = e.vec(e.width, e.f32);
  llvm::Type* ints = e.vec(e.width, e.i32);
  p.zero_images(dx, rows, p.H * p.W * p.C);
  p.for_each_window(rows, [&](llvm::Value* b, const Pool::Taps& t, llvm::Value* at) {
    for (std::int64_t v = 0; v < p.vectors(); ++v) {
      llvm::Value* mask = p.mask_of(v);
      const auto [first, first_ordinal] = p.first_cell(b, t);
      Emitter::Var best = e.var(floats, e.vload(x, e.add(first, v * e.width), e.width, mask));
      Emitter::Var arg = e.var(ints, e.splat(first_ordinal, e.width));
      p.for_each_cell(b, t, [&](llvm::Value* base, llvm::Value* ordinal) {
        llvm::Value* xv = e.vload(x, e.add(base, v * e.width), e.width, mask);
        llvm::Value* better = e.b.CreateFCmpOGT(xv, best.get());  // strict: the first maximum wins
        arg.set(e.b.CreateSelect(better, e.splat(ordinal, e.width), arg.get()));
        best.set(e.max_of(best.get(), xv));
      });
      llvm::Value* gv = e.vload(g, e.add(at, v * e.width), e.width, mask);
      p.for_each_cell(b, t, [&](llvm::Value* base, llvm::Value* ordinal) {
        llvm::Value* here = e.b.CreateICmpEQ(arg.get(), e.splat(ordinal, e.width));
        llvm::Value* to = e.add(base, v * e.width);
        e.vstore(e.b.CreateFAdd(e.vload(dx, to, e.width, mask), e.b.CreateSelect(here, gv, e.constant(floats, 0.0))), dx, to, mask);
      });
    }
  });
}

void avg_pool(KernelFrame& f, const ir::Node& n, ir::NodeId id, RowRange rows, bool grad) {
  Pool p(f, grad ? n.shape : f.shape(n.inputs[0]), n.attrs);
  Emitter& e = p.e;
  llvm::Value* in = f.ptr(n.inputs[0]);
  llvm::Value* dx = grad ? f.ptr(id) : nullptr;
  llvm::Type* floats = e.vec(e.width, e.f32);
  Epilogue epilogue(f);
  if (grad) p.zero_images(dx, rows, p.H * p.W * p.C);
  p.for_each_window(rows, [&](llvm::Value* b, const Pool::Taps& t, llvm::Value* at) {
    // Real cells only, or with count_pad the window's area (padded cells too).
    llvm::Value* count = n.attrs.count_pad ? e.c64(std::int64_t{n.attrs.window_h} * n.attrs.window_w)
                                           : e.mul(e.b.CreateSub(t.kh_hi, t.kh_lo), e.b.CreateSub(t.kw_hi, t.kw_lo));
    llvm::Value* inv = e.splat(e.b.CreateFDiv(e.cf(1.0f), e.b.CreateSIToFP(count, e.f32)), e.width);
    for (std::int64_t v = 0; v < p.vectors(); ++v) {
      llvm::Value* mask = p.mask_of(v);
      if (grad) {  // dx[cell] += inv * g[window]
        llvm::Value* share = e.b.CreateFMul(inv, e.vload(in, e.add(at, v * e.width), e.width, mask));
        p.for_each_cell(b, t, [&](llvm::Value* base, llvm::Value*) {
          llvm::Value* to = e.add(base, v * e.width);
          e.vstore(e.b.CreateFAdd(e.vload(dx, to, e.width, mask), share), dx, to, mask);
        });
        continue;
      }
      Emitter::Var sum = e.var(floats, e.constant(floats, 0.0));
      p.for_each_cell(b, t, [&](llvm::Value* base, llvm::Value*) {
        sum.set(e.b.CreateFAdd(sum.get(), e.vload(in, e.add(base, v * e.width), e.width, mask)));
      });
      epilogue.finish(e.b.CreateFMul(sum.get(), inv), e.add(at, v * e.width), e.c64(v * e.width), mask);
    }
  });
}

void global_max_pool(KernelFrame& f, const ir::Node& n, ir::NodeId id, RowRange rows, bool grad) {
  // The first maximum of x[b,:,:,c] over the H*W positions.
  Emitter& e = f.e;
  const ir::Shape& xs = f.shape(n.inputs[0]);
  const std::int64_t HW = xs[1] * xs[2], C = xs[3], V = (C + e.width - 1) / e.width;
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Type* floats = e.vec(e.width, e.f32);
  llvm::Type* longs = e.vec(e.width, e.i64);
  Epilogue epilogue(f);
  if (grad) e.zero(f.ptr(id), e.mul(rows.first, HW * C), e.mul(e.b.CreateSub(rows.last, rows.first), HW * C), e.f32);
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    for (std::int64_t v = 0; v < V; ++v) {
      const std::int64_t active = std::min<std::int64_t>(e.width, C - v * e.width);
      llvm::Value* mask = active < e.width ? e.first_lanes(e.width, active) : nullptr;
      llvm::Value* base = e.mad(b, HW * C, e.c64(v * e.width));
      Emitter::Var best = e.var(floats, e.vload(x, base, e.width, mask));
      Emitter::Var arg = e.var(longs, llvm::ConstantInt::get(longs, 0));
      e.loop(1, HW, [&](llvm::Value* q) {
        llvm::Value* xv = e.vload(x, e.mad(q, C, base), e.width, mask);
        llvm::Value* better = e.b.CreateFCmpOGT(xv, best.get());
        arg.set(e.b.CreateSelect(better, e.splat(q, e.width), arg.get()));
        best.set(e.b.CreateSelect(better, xv, best.get()));
      });
      llvm::Value* at = e.mad(b, C, e.c64(v * e.width));
      if (!grad) {
        epilogue.finish(best.get(), at, e.c64(v * e.width), mask);
        continue;
      }
      llvm::Value* gv = e.vload(f.ptr(n.inputs[1]), at, e.width, mask);
      llvm::Value* dx = f.ptr(id);
      e.loop(0, HW, [&](llvm::Value* q) {
        llvm::Value* to = e.mad(q, C, base);
        llvm::Value* here = e.b.CreateICmpEQ(arg.get(), e.splat(q, e.width));
        e.vstore(e.b.CreateFAdd(e.vload(dx, to, e.width, mask), e.b.CreateSelect(here, gv, e.constant(floats, 0.0))), dx, to, mask);
      });
    }
  });
}

void global_sum_pool(KernelFrame& f, const ir::Node& n, RowRange rows, bool mean) {
  // x[b,:,:,c] summed over the H*W positions in order, then (mean) divided by
  // H*W, as the reference does; channels run in vectors.
  Emitter& e = f.e;
  const ir::Shape& xs = f.shape(n.inputs[0]);
  const std::int64_t HW = xs[1] * xs[2], C = xs[3], V = (C + e.width - 1) / e.width;
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Type* floats = e.vec(e.width, e.f32);
  llvm::Value* count = e.constant(floats, static_cast<float>(HW));
  Epilogue epilogue(f);
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    for (std::int64_t v = 0; v < V; ++v) {
      const std::int64_t active = std::min<std::int64_t>(e.width, C - v * e.width);
      llvm::Value* mask = active < e.width ? e.first_lanes(e.width, active) : nullptr;
      llvm::Value* base = e.mad(b, HW * C, e.c64(v * e.width));
      Emitter::Var sum = e.var(floats, e.constant(floats, 0.0));
      e.loop(0, HW, [&](llvm::Value* q) { sum.set(e.b.CreateFAdd(sum.get(), e.vload(x, e.mad(q, C, base), e.width, mask))); });
      llvm::Value* value = mean ? e.b.CreateFDiv(sum.get(), count) : sum.get();
      epilogue.finish(value, e.mad(b, C, e.c64(v * e.width)), e.c64(v * e.width), mask);
    }
  });
}

void spatial_broadcast(KernelFrame& f, const ir::Node& n, ir::NodeId id, RowRange rows, bool mean) {
  // dx[b,q,c] = g[b,c], divided by H*W for the mean's gradient.
  Emitter& e = f.e;
  const ir::Shape& xs = f.shape(n.inputs[0]);
  const std::int64_t HW = xs[1] * xs[2], C = xs[3], V = (C + e.width - 1) / e.width;
  llvm::Type* floats = e.vec(e.width, e.f32);
  llvm::Value* count = e.constant(floats, static_cast<float>(HW));
  llvm::Value* dx = f.ptr(id);
  e.loop(rows.first, rows.last, [&](llvm::Value* b) {
    for (std::int64_t v = 0; v < V; ++v) {
      const std::int64_t active = std::min<std::int64_t>(e.width, C - v * e.width);
      llvm::Value* mask = active < e.width ? e.first_lanes(e.width, active) : nullptr;
      llvm::Value* gv = e.vload(f.ptr(n.inputs[1]), e.mad(b, C, e.c64(v * e.width)), e.width, mask);
      llvm::Value* share = mean ? e.b.CreateFDiv(gv, count) : gv;
      llvm::Value* base = e.mad(b, HW * C, e.c64(v * e.width));
      e.loop(0, HW, [&](llvm::Value* q) { e.vstore(share, dx, e.mad(q, C, base), mask); });
    }
  });
}

}  // namespace

void emit_pool(KernelFrame& f, RowRange rows) {
  const ir::NodeId id = f.kernel.nodes.front();
  const ir::Node& n = f.node(id);
  if (const auto op = ir::as_op<ir::PoolOp>(n.op)) {
    switch (*op) {
      case ir::PoolOp::MaxPool2D: return max_pool(f, n, id, rows);
      case ir::PoolOp::AvgPool2D: return avg_pool(f, n, id, rows, false);
    }
  }
  if (const auto op = ir::as_op<ir::PoolGradOp>(n.op)) {
    switch (*op) {
      case ir::PoolGradOp::MaxPool2DGrad: return max_pool_grad(f, n, id, rows);
      case ir::PoolGradOp::AvgPool2DGrad: return avg_pool(f, n, id, rows, true);
    }
  }
  if (const auto op = ir::as_op<ir::GlobalPoolOp>(n.op)) {
    switch (*op) {
      case ir::GlobalPoolOp::GlobalMaxPool2D: return global_max_pool(f, n, id, rows, false);
      case ir::GlobalPoolOp::GlobalAvgPool2D: return global_sum_pool(f, n, rows, true);
      case ir::GlobalPoolOp::GlobalSumPool2D: return global_sum_pool(f, n, rows, false);
    }
  }
  if (const auto op = ir::as_op<ir::GlobalPoolGradOp>(n.op)) {
    switch (*op) {
      case ir::GlobalPoolGradOp::GlobalMaxPool2DGrad: return global_max_pool(f, n, id, rows, true);
      case ir::GlobalPoolGradOp::GlobalAvgPool2DGrad: return spatial_broadcast(f, n, id, rows, true);
      case ir::GlobalPoolGradOp::SpatialBroadcast: return spatial_broadcast(f, n, id, rows, false);
    }
  }
  throw std::logic_error("emit_pool: " + std::string(ir::spelling(n.op)) + " is not a pooling op");
}

}  // namespace tl::codegen
