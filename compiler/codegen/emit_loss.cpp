// The loss head: softmax, cross-entropy (on logits or probabilities), its
// gradient and the count of correct rows, for one (scores, labels) pair in
// one pass over the thread's rows; also any of these alone. Arithmetic as in
// kernels_loss.cpp (the softmax in float with a double sum, the cross-entropy
// through double exp/log). The means and the count are Reduce nodes: per-
// thread partials here, combined in thread order later (emit_combine). A
// label that is not a class index is read as class 0 so the kernel stays in
// bounds. Fed labels (a bound leaf) are checked by the host before the step
// runs (exec::check_labels), so nothing is written with a bad one; labels
// the step computes are checked here, reported through the thread's status
// words (the host throws). Either way each label is checked once.
// Legend: scores (B,M), labels (B).
#include "compiler/codegen/kernel_frame.hpp"

namespace tl::codegen {

using ir::NodeId;
using ir::OpKind;

namespace {

constexpr double kProbClip = 1e-7;  // Keras backend epsilon

/// The class index of row r among M classes; reported unless `host_checked`.
llvm::Value* label_at(KernelFrame& f, llvm::Value* labels, llvm::Value* r, std::int64_t M, bool host_checked) {
  Emitter& e = f.e;
  llvm::Value* v = e.load(e.f32, labels, r);
  llvm::Value* whole = e.b.CreateFCmpOEQ(e.b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, v), v);
  llvm::Value* in_range = e.b.CreateAnd(e.b.CreateFCmpOGE(v, e.cf(0.0f)), e.b.CreateFCmpOLT(v, e.cf(static_cast<float>(M))));
  llvm::Value* ok = e.b.CreateAnd(whole, in_range);
  if (!host_checked) e.when(e.b.CreateNot(ok), [&] {
    llvm::Value* status = e.at(e.i32, f.arg(StepSlot::Status, e.ptr), e.mul(f.tid, kStatusWords));
    e.when(e.b.CreateICmpEQ(e.load(e.i32, status, 0), e.c32(0)), [&] {
      e.store(e.c32(1), status, 0);
      e.store(e.b.CreateTrunc(r, e.i32), status, 1);
      e.store(e.b.CreateBitCast(v, e.i32), status, 2);
      e.store(e.c32(static_cast<std::int32_t>(M)), status, 3);
    });
  });
  return e.b.CreateSelect(ok, e.b.CreateFreeze(e.b.CreateFPToSI(v, e.i64)), e.c64(0));
}

/// The row max (value of the first maximum) of x[0, M).
llvm::Value* row_max(Emitter& e, llvm::Value* x, std::int64_t M) {
  Emitter::Var m = e.var(e.f32, e.load(e.f32, x, 0));
  e.loop(1, M, [&](llvm::Value* k) { m.set(e.max_of(m.get(), e.load(e.f32, x, k))); });
  return m.get();
}

/// out[0, M) = softmax(x[0, M)): float exps, double sum, as kernels::softmax.
void softmax_row(Emitter& e, llvm::Value* x, llvm::Value* out, std::int64_t M) {
  llvm::Value* m = row_max(e, x, M);
  Emitter::Var sum = e.var(e.f64, e.cd(0.0));
  e.loop(0, M, [&](llvm::Value* k) {
    llvm::Value* ex = e.libm("expf", e.b.CreateFSub(e.load(e.f32, x, k), m));
    e.store(ex, out, k);
    sum.set(e.b.CreateFAdd(sum.get(), e.to_f64(ex)));
  });
  llvm::Value* total = sum.get();
  e.loop(0, M, [&](llvm::Value* k) { e.store(e.to_f32(e.b.CreateFDiv(e.to_f64(e.load(e.f32, out, k)), total)), out, k); });
}

/// Clip of a probability (double) to [1e-7, 1 - 1e-7], as std::clamp.
llvm::Value* clip(Emitter& e, llvm::Value* p) {
  llvm::Value* lo = e.b.CreateSelect(e.b.CreateFCmpOLT(p, e.cd(kProbClip)), e.cd(kProbClip), p);
  return e.b.CreateSelect(e.b.CreateFCmpOLT(e.cd(1.0 - kProbClip), p), e.cd(1.0 - kProbClip), lo);
}

}  // namespace

void emit_loss_head(KernelFrame& f, RowRange rows) {
  Emitter& e = f.e;
  const std::vector<NodeId>& members = f.kernel.nodes;
  const NodeId softmax = f.node(members.front()).op == OpKind::Softmax ? members.front() : -1;
  const ir::Node& any = f.node(members.back());
  const std::int64_t M = f.shape(any.inputs[0])[1];
  llvm::Value* B = f.leading_extent(any.inputs[0]);  // the rows of this run
  llvm::Value* labels = f.ptr(any.inputs[1]);
  const bool host_checked = f.plan.where(any.inputs[1]).kind == StorageKind::Leaf;  // exec::check_labels
  llvm::Value* sm = e.local(e.f32, M);      // the softmax member's row
  llvm::Value* probs = e.local(e.f32, M);   // a gradient's own softmax row
  std::map<NodeId, Emitter::Var> sums;      // Reduce members' partial sums
  for (NodeId id : members) {
    if (category(f.node(id).op) != ir::OpCategory::Loss) continue;
    switch (ir::sub_op<ir::LossOp>(f.node(id).op)) {
      case ir::LossOp::CountCorrect: sums.emplace(id, e.var(e.i64, e.c64(0))); break;
      case ir::LossOp::SoftmaxXent:
      case ir::LossOp::ProbXent: sums.emplace(id, e.var(e.f64, e.cd(0.0))); break;
    }
  }
  auto scores_row = [&](NodeId input, llvm::Value* r) {
    return f.plan.alias_of[static_cast<std::size_t>(input)] == softmax ? sm : e.row(f.ptr(input), r, M);
  };
  e.loop(rows.first, rows.last, [&](llvm::Value* r) {
    llvm::Value* label = label_at(f, labels, r, M, host_checked);
    for (NodeId id : members) {
      const ir::Node& n = f.node(id);
      if (n.op == OpKind::Softmax) {  // the scores' softmax, a member ahead of the losses that read it
        softmax_row(e, e.row(f.ptr(n.inputs[0]), r, M), sm, M);
        if (llvm::Value* out = f.ptr(id)) e.b.CreateMemCpy(e.row(out, r, M), llvm::MaybeAlign(4), sm, llvm::MaybeAlign(4), M * 4);
        continue;
      }
      llvm::Value* x = scores_row(n.inputs[0], r);
      if (const auto op = ir::as_op<ir::LossOp>(n.op)) {
        switch (*op) {
          case ir::LossOp::SoftmaxXent: {  // log-sum-exp(x) - x[label], max subtracted first, in double
            llvm::Value* m = e.to_f64(row_max(e, x, M));
            Emitter::Var sum = e.var(e.f64, e.cd(0.0));
            e.loop(0, M, [&](llvm::Value* k) {
              sum.set(e.b.CreateFAdd(sum.get(), e.libm("exp", e.b.CreateFSub(e.to_f64(e.load(e.f32, x, k)), m))));
            });
            llvm::Value* target = e.to_f64(e.load(e.f32, x, label));  // sum t x over the (smoothed) targets
            if (const double s = n.attrs.smoothing; s != 0.0) {
              Emitter::Var all = e.var(e.f64, e.cd(0.0));
              e.loop(0, M, [&](llvm::Value* k) { all.set(e.b.CreateFAdd(all.get(), e.to_f64(e.load(e.f32, x, k)))); });
              target = e.b.CreateFAdd(e.b.CreateFMul(e.cd(1.0 - s), target),
                                      e.b.CreateFMul(e.cd(s / static_cast<double>(M)), all.get()));
            }
            llvm::Value* term = e.b.CreateFSub(e.b.CreateFAdd(m, e.libm("log", sum.get())), target);
            sums.at(id).set(e.b.CreateFAdd(sums.at(id).get(), term));
            break;
          }
          case ir::LossOp::ProbXent: {  // -log(clip(p[label])); smoothed: -sum t log(clip(p))
            llvm::Value* term = e.libm("log", clip(e, e.to_f64(e.load(e.f32, x, label))));
            if (const double s = n.attrs.smoothing; s != 0.0) {
              Emitter::Var all = e.var(e.f64, e.cd(0.0));
              e.loop(0, M, [&](llvm::Value* k) {
                all.set(e.b.CreateFAdd(all.get(), e.libm("log", clip(e, e.to_f64(e.load(e.f32, x, k))))));
              });
              term = e.b.CreateFAdd(e.b.CreateFMul(e.cd(1.0 - s), term),
                                    e.b.CreateFMul(e.cd(s / static_cast<double>(M)), all.get()));
            }
            sums.at(id).set(e.b.CreateFSub(sums.at(id).get(), term));
            break;
          }
          case ir::LossOp::CountCorrect: {  // the row's first maximum is at the label
            Emitter::Var best = e.var(e.f32, e.load(e.f32, x, 0));
            Emitter::Var arg = e.var(e.i64, e.c64(0));
            e.loop(1, M, [&](llvm::Value* k) {
              llvm::Value* v = e.load(e.f32, x, k);
              llvm::Value* better = e.b.CreateFCmpOLT(best.get(), v);
              arg.set(e.b.CreateSelect(better, k, arg.get()));
              best.set(e.b.CreateSelect(better, v, best.get()));
            });
            sums.at(id).set(e.add(sums.at(id).get(), e.b.CreateZExt(e.b.CreateICmpEQ(arg.get(), label), e.i64)));
            break;
          }
        }
        continue;
      }
      if (const auto op = ir::as_op<ir::LossGradOp>(n.op)) {
        switch (*op) {
          case ir::LossGradOp::SoftmaxXentGrad: {  // (softmax(x) - t) * g / B, t = (1 - s) onehot(label) + s / M
            llvm::Value* d = e.row(f.ptr(id), r, M);
            llvm::Value* source = x;
            if (x != sm) {
              softmax_row(e, x, probs, M);
              source = probs;
            }
            llvm::Value* coef = e.b.CreateFDiv(f.element(n.inputs[2], e.c64(0), 1, nullptr), e.b.CreateSIToFP(B, e.f32));
            const double s = n.attrs.smoothing;
            e.loop(0, M, [&](llvm::Value* k) {
              llvm::Value* v = e.load(e.f32, source, k);
              if (s != 0.0) v = e.b.CreateFSub(v, e.cf(static_cast<float>(s / static_cast<double>(M))));
              v = e.b.CreateSelect(e.b.CreateICmpEQ(k, label), e.b.CreateFSub(v, e.cf(static_cast<float>(1.0 - s))), v);
              e.store(e.b.CreateFMul(v, coef), d, k);
            });
            break;
          }
          case ir::LossGradOp::ProbXentGrad: {  // -g t / (B p) inside the clip range, 0 elsewhere (t: the targets)
            llvm::Value* d = e.row(f.ptr(id), r, M);
            e.zero(d, e.c64(0), e.c64(M), e.f32);
            llvm::Value* g = e.to_f64(e.b.CreateFNeg(f.element(n.inputs[2], e.c64(0), 1, nullptr)));
            llvm::Value* rows_f = e.b.CreateSIToFP(B, e.f64);
            auto store = [&](llvm::Value* k, llvm::Value* numerator) {
              llvm::Value* p = e.to_f64(e.load(e.f32, x, k));
              llvm::Value* inside = e.b.CreateAnd(e.b.CreateFCmpOGE(p, e.cd(kProbClip)), e.b.CreateFCmpOLE(p, e.cd(1.0 - kProbClip)));
              llvm::Value* v = e.to_f32(e.b.CreateFDiv(numerator, e.b.CreateFMul(rows_f, p)));
              e.store(e.b.CreateSelect(inside, v, e.cf(0.0f)), d, k);
            };
            if (const double s = n.attrs.smoothing; s == 0.0) {
              store(label, g);
            } else {
              const double spread = s / static_cast<double>(M);
              e.loop(0, M, [&](llvm::Value* k) {
                llvm::Value* t = e.b.CreateSelect(e.b.CreateICmpEQ(k, label), e.cd((1.0 - s) + spread), e.cd(0.0 + spread));
                store(k, e.b.CreateFMul(g, t));
              });
            }
            break;
          }
        }
        continue;
      }
      throw std::logic_error("emit_loss_head: " + std::string(ir::spelling(n.op)) + " is not a loss op");
    }
  });
  for (auto& [id, sum] : sums) e.store(sum.get(), f.scratch(id, f.tid), 0);
}

}  // namespace tl::codegen
