// Softmax and its gradient (rows of the last axis, mirroring
// kernels_dense.cpp's float/double mix), per-channel sums in double, and the
// combine of every Reduce node's per-thread partials, added in thread order.
// Legend: (...,C) viewed as rows of C.
#include "compiler/codegen/kernel_frame.hpp"
#include "compiler/codegen/op_traits.hpp"

namespace tl::codegen {

using ir::OpKind;

namespace {

/// Rows of the last axis per split row (a rank-1 tensor is one row).
std::int64_t rows_per_split(const ir::Shape& s) {
  return ir::element_count(s) / s.back() / (s.size() >= 2 ? s[0] : 1);
}

}  // namespace

void emit_softmax_rows(KernelFrame& f, ir::NodeId id, RowRange rows) {
  Emitter& e = f.e;
  const ir::Node& n = f.node(id);
  const std::int64_t C = n.shape.back(), per = rows_per_split(n.shape);
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Value* out = f.ptr(id);
  e.loop(e.mul(rows.first, per), e.mul(rows.last, per), [&](llvm::Value* r) {
    llvm::Value* in = e.row(x, r, C);
    llvm::Value* o = e.row(out, r, C);
    // Subtract the row max so exp never overflows.
    Emitter::Var m = e.var(e.f32, e.load(e.f32, in, 0));
    e.loop(1, C, [&](llvm::Value* k) { m.set(e.max_of(m.get(), e.load(e.f32, in, k))); });
    llvm::Value* mx = m.get();
    Emitter::Var sum = e.var(e.f64, e.cd(0.0));
    e.loop(0, C, [&](llvm::Value* k) {
      llvm::Value* ex = e.libm("expf", e.b.CreateFSub(e.load(e.f32, in, k), mx));
      e.store(ex, o, k);
      sum.set(e.b.CreateFAdd(sum.get(), e.to_f64(ex)));
    });
    llvm::Value* total = sum.get();
    e.loop(0, C, [&](llvm::Value* k) { e.store(e.to_f32(e.b.CreateFDiv(e.to_f64(e.load(e.f32, o, k)), total)), o, k); });
  });
}

void emit_softmax_grad_rows(KernelFrame& f, ir::NodeId id, RowRange rows) {
  // out = y * (g - sum(g * y)) per row, in double.
  Emitter& e = f.e;
  const ir::Node& n = f.node(id);
  const std::int64_t C = n.shape.back(), per = rows_per_split(n.shape);
  llvm::Value* y = f.ptr(n.inputs[0]);
  llvm::Value* g = f.ptr(n.inputs[1]);
  llvm::Value* out = f.ptr(id);
  e.loop(e.mul(rows.first, per), e.mul(rows.last, per), [&](llvm::Value* r) {
    llvm::Value* py = e.row(y, r, C);
    llvm::Value* pg = e.row(g, r, C);
    Emitter::Var dot = e.var(e.f64, e.cd(0.0));
    e.loop(0, C, [&](llvm::Value* k) {
      dot.set(e.b.CreateFAdd(dot.get(), e.b.CreateFMul(e.to_f64(e.load(e.f32, pg, k)), e.to_f64(e.load(e.f32, py, k)))));
    });
    llvm::Value* d = dot.get();
    e.loop(0, C, [&](llvm::Value* k) {
      llvm::Value* diff = e.b.CreateFSub(e.to_f64(e.load(e.f32, pg, k)), d);
      e.store(e.to_f32(e.b.CreateFMul(e.to_f64(e.load(e.f32, py, k)), diff)), e.row(out, r, C), k);
    });
  });
}

void emit_channel_partial(KernelFrame& f, ir::NodeId id, RowRange rows) { emit_channel_sums(f, id, rows, false); }

void emit_channel_sums(KernelFrame& f, ir::NodeId id, RowRange rows, bool resume) {
  // Per-channel sums in double over the thread's rows, rows in order; the
  // accumulators (one double vector per channel vector) stay in registers.
  Emitter& e = f.e;
  const ir::Node& n = f.node(id);
  const ir::Shape& xs = f.shape(n.inputs[0]);
  const std::int64_t C = xs.back(), per = rows_per_split(xs), V = (C + e.width - 1) / e.width;
  llvm::Value* x = f.ptr(n.inputs[0]);
  llvm::Value* part = f.scratch(id, f.tid);
  llvm::Type* doubles = e.vec(e.width, e.f64);
  auto mask_of = [&](std::int64_t v) {
    return C - v * e.width >= e.width ? nullptr : e.first_lanes(e.width, C - v * e.width);
  };
  std::vector<Emitter::Var> acc;
  for (std::int64_t v = 0; v < V; ++v)
    acc.push_back(e.var(doubles, resume ? e.vload(part, e.c64(v * e.width), e.width, mask_of(v), e.f64) : e.constant(doubles, 0.0)));
  e.loop(e.mul(rows.first, per), e.mul(rows.last, per), [&](llvm::Value* r) {
    for (std::int64_t v = 0; v < V; ++v) {
      llvm::Value* xv = e.vload(x, e.mad(r, C, e.c64(v * e.width)), e.width, mask_of(v));
      acc[v].set(e.b.CreateFAdd(acc[v].get(), e.b.CreateFPExt(xv, doubles)));
    }
  });
  for (std::int64_t v = 0; v < V; ++v) e.vstore(acc[v].get(), part, e.c64(v * e.width), mask_of(v));
}

void emit_combine(KernelFrame& f, ir::NodeId id, RowRange rows) {
  Emitter& e = f.e;
  const ir::Node& n = f.node(id);
  // The partials' element type, the elements per output row, and how a total becomes the float result.
  llvm::Type* part = e.f64;
  std::int64_t row = 1;
  std::function<llvm::Value*(llvm::Value*)> finish = [&](llvm::Value* t) { return e.b.CreateFPTrunc(t, e.vec(e.width, e.f32)); };
  auto mean_over = [&](llvm::Value* count) {  // a total divided by `count` (f64)
    finish = [&, count](llvm::Value* t) {
      return e.b.CreateFPTrunc(e.b.CreateFDiv(t, e.splat(count, e.width)), e.vec(e.width, e.f32));
    };
  };
  if (const auto op = ir::as_op<ir::ChannelReduceOp>(n.op)) {
    switch (*op) {
      case ir::ChannelReduceOp::ChannelSum: break;
      case ir::ChannelReduceOp::ChannelMean: {
        // Divided by the number of rows averaged: rows per leading row times the leading extent.
        const ir::Shape& xs = f.shape(n.inputs[0]);
        const std::int64_t rows = ir::element_count(xs) / xs.back();
        llvm::Value* count = xs.size() >= 2 && f.batched(n.inputs[0]) ? e.mul(f.leading_extent(n.inputs[0]), rows / xs[0]) : e.c64(rows);
        mean_over(e.b.CreateSIToFP(count, e.f64));
        break;
      }
    }
  } else if (category(n.op) == ir::OpCategory::MatMul) {
    part = e.f32;
    row = n.shape[1];
    finish = [](llvm::Value* t) { return t; };
  } else if (category(n.op) == ir::OpCategory::ConvGradFilter) {
    row = ir::element_count(n.shape) / n.shape[0];
  } else if (const auto op = ir::as_op<ir::LossOp>(n.op)) {
    switch (*op) {
      case ir::LossOp::SoftmaxXent:
      case ir::LossOp::ProbXent:  // the mean over the batch's rows
        mean_over(e.b.CreateSIToFP(f.leading_extent(n.inputs[0]), e.f64));
        break;
      case ir::LossOp::CountCorrect:
        part = e.i64;
        finish = [&](llvm::Value* t) { return e.b.CreateSIToFP(t, e.vec(e.width, e.f32)); };
        break;
    }
  } else {
    throw std::logic_error("emit_combine: " + std::string(ir::spelling(n.op)) + " is not a reduction");
  }
  // Vectors of W elements over the thread's rows, the last one masked.
  llvm::Value* out = f.ptr(id);
  llvm::Value* first = e.mul(rows.first, row);
  llvm::Value* last = e.mul(rows.last, row);
  llvm::Value* blocks = e.b.CreateSDiv(e.add(e.b.CreateSub(last, first), e.width - 1), e.c64(e.width));
  e.loop(e.c64(0), blocks, [&](llvm::Value* j) {
    llvm::Value* at = e.add(first, e.mul(j, e.width));
    llvm::Value* mask = e.first_lanes(e.width, e.b.CreateSub(last, at));
    Emitter::Var sum = e.var(e.vec(e.width, part), e.vload(f.scratch(id, e.c64(0)), at, e.width, mask, part));
    e.loop(e.c64(1), f.threads, [&](llvm::Value* t) {
      llvm::Value* v = e.vload(f.scratch(id, t), at, e.width, mask, part);
      sum.set(part == e.i64 ? e.b.CreateAdd(sum.get(), v) : e.b.CreateFAdd(sum.get(), v));
    });
    e.vstore(finish(sum.get()), out, at, mask);
  });
}

}  // namespace tl::codegen
