// The element accessor and the epilogue of fused chains (kernel_frame.hpp),
// with the elementwise ops' arithmetic written exactly as in
// runtime/exec/kernels_elementwise.cpp, for scalars and vectors alike.
#include <set>
#include <stdexcept>

#include "compiler/codegen/kernel_frame.hpp"
#include "compiler/ir/activation.hpp"

namespace tl::codegen {

using ir::NodeId;
using ir::OpKind;

llvm::Value* elementwise_value(Emitter& e, const ir::Node& n, llvm::Value* a, llvm::Value* c) {
  auto& b = e.b;
  llvm::Type* t = a->getType();
  auto k = [&](double v) { return e.constant(t, v); };
  auto sigmoid = [&](llvm::Value* u) {
    // u >= 0: 1 / (1 + exp(-u)); u < 0: exp(u) / (1 + exp(u)); both use exp(-|u|).
    llvm::Value* positive = b.CreateFCmpOGE(u, k(0.0));
    llvm::Value* ex = e.libm("expf", b.CreateSelect(positive, b.CreateFNeg(u), u));
    llvm::Value* den = b.CreateFAdd(k(1.0), ex);
    return b.CreateSelect(positive, b.CreateFDiv(k(1.0), den), b.CreateFDiv(ex, den));
  };
  // std::max(u, lo) and std::min(u, hi), as the reference computes them.
  auto at_least = [&](llvm::Value* u, llvm::Value* lo) { return b.CreateSelect(b.CreateFCmpOLT(u, lo), lo, u); };
  auto at_most = [&](llvm::Value* u, llvm::Value* hi) { return b.CreateSelect(b.CreateFCmpOLT(hi, u), hi, u); };
  auto f32 = [&](double v) { return k(static_cast<float>(v)); };
  if (const auto op = ir::as_op<ir::UnaryOp>(n.op)) {
    switch (*op) {
      case ir::UnaryOp::Neg: return b.CreateFNeg(a);
      case ir::UnaryOp::Square: return b.CreateFMul(a, a);
      case ir::UnaryOp::Rsqrt: return b.CreateFDiv(k(1.0), e.sqrt(b.CreateFAdd(a, k(static_cast<float>(n.attrs.eps)))));
      case ir::UnaryOp::Scale: return b.CreateFMul(a, k(static_cast<float>(n.attrs.value)));
      case ir::UnaryOp::Relu: return b.CreateSelect(b.CreateFCmpOGT(a, k(0.0)), a, k(0.0));
      case ir::UnaryOp::Sigmoid: return sigmoid(a);
      case ir::UnaryOp::Tanh: return e.libm("tanhf", a);
      case ir::UnaryOp::LeakyRelu:
        return b.CreateSelect(b.CreateFCmpOGT(a, k(0.0)), a, b.CreateFMul(k(static_cast<float>(n.attrs.alpha)), a));
      case ir::UnaryOp::Gelu:  // (0.5 x) (1 + erf(x / sqrt 2))
        return b.CreateFMul(b.CreateFMul(k(0.5), a), b.CreateFAdd(k(1.0), e.libm("erff", b.CreateFMul(a, k(ir::gelu_sqrt_half)))));
      case ir::UnaryOp::Clip: return at_most(at_least(a, f32(n.attrs.lo)), f32(n.attrs.hi));
      case ir::UnaryOp::HardSigmoid:
        return at_most(at_least(b.CreateFAdd(b.CreateFMul(f32(n.attrs.alpha), a), f32(n.attrs.beta)), k(0.0)), k(1.0));
      case ir::UnaryOp::HardSwish:  // x min(max(x + 3, 0), 6) / 6
        return b.CreateFDiv(b.CreateFMul(a, at_most(at_least(b.CreateFAdd(a, k(3.0)), k(0.0)), k(6.0))), k(6.0));
      case ir::UnaryOp::Swish: return b.CreateFMul(a, sigmoid(a));
    }
  }
  if (const auto op = ir::as_op<ir::BinaryOp>(n.op)) {
    switch (*op) {
      case ir::BinaryOp::Add: return b.CreateFAdd(a, c);
      case ir::BinaryOp::Mul: return b.CreateFMul(a, c);
    }
  }
  if (const auto op = ir::as_op<ir::ChannelBinaryOp>(n.op)) {  // c is the channel's value
    switch (*op) {
      case ir::ChannelBinaryOp::BiasAdd: return b.CreateFAdd(a, c);
      case ir::ChannelBinaryOp::ChannelMul: return b.CreateFMul(a, c);
    }
  }
  if (const auto op = ir::as_op<ir::ActivationGradOp>(n.op)) {  // a is the forward value, c the adjoint g
    switch (*op) {
      case ir::ActivationGradOp::ReluGrad: return b.CreateSelect(b.CreateFCmpOGT(a, k(0.0)), c, k(0.0));
      case ir::ActivationGradOp::SigmoidGrad: return b.CreateFMul(b.CreateFMul(c, a), b.CreateFSub(k(1.0), a));
      case ir::ActivationGradOp::TanhGrad: return b.CreateFMul(c, b.CreateFSub(k(1.0), b.CreateFMul(a, a)));
      case ir::ActivationGradOp::LeakyReluGrad:
        return b.CreateSelect(b.CreateFCmpOGT(a, k(0.0)), c, b.CreateFMul(k(static_cast<float>(n.attrs.alpha)), c));
      case ir::ActivationGradOp::GeluGrad: {  // a is x: g (Phi(x) + x phi(x))
        llvm::Value* cdf = b.CreateFMul(k(0.5), b.CreateFAdd(k(1.0), e.libm("erff", b.CreateFMul(a, k(ir::gelu_sqrt_half)))));
        llvm::Value* pdf = b.CreateFMul(e.libm("expf", b.CreateFMul(k(-0.5), b.CreateFMul(a, a))), k(ir::gelu_inv_sqrt_2pi));
        return b.CreateFMul(c, b.CreateFAdd(cdf, b.CreateFMul(a, pdf)));
      }
      case ir::ActivationGradOp::ClipGrad: {  // a is y
        llvm::Value* inside = b.CreateAnd(b.CreateFCmpOGT(a, f32(n.attrs.lo)), b.CreateFCmpOLT(a, f32(n.attrs.hi)));
        return b.CreateSelect(inside, c, k(0.0));
      }
      case ir::ActivationGradOp::HardSigmoidGrad: {  // a is y
        llvm::Value* inside = b.CreateAnd(b.CreateFCmpOGT(a, k(0.0)), b.CreateFCmpOLT(a, k(1.0)));
        return b.CreateSelect(inside, b.CreateFMul(f32(n.attrs.alpha), c), k(0.0));
      }
      case ir::ActivationGradOp::HardSwishGrad: {  // a is x
        llvm::Value* middle = b.CreateFMul(c, b.CreateFAdd(b.CreateFDiv(a, k(3.0)), k(0.5)));
        return b.CreateSelect(b.CreateFCmpOLT(a, k(-3.0)), k(0.0), b.CreateSelect(b.CreateFCmpOLE(a, k(3.0)), middle, c));
      }
      case ir::ActivationGradOp::SwishGrad: {  // a is x: g (s + x s (1 - s))
        llvm::Value* s = sigmoid(a);
        return b.CreateFMul(c, b.CreateFAdd(s, b.CreateFMul(a, b.CreateFMul(s, b.CreateFSub(k(1.0), s)))));
      }
    }
  }
  throw std::logic_error("elementwise_value: " + std::string(ir::spelling(n.op)) + " is not elementwise");
}

llvm::Value* spread_factor(KernelFrame& f, NodeId id, int lanes) {
  Emitter& e = f.e;
  const ir::Shape& s = f.node(id).shape;
  const std::int64_t rows = ir::element_count(s) / s.back();
  llvm::Value* count = s.size() >= 2 && f.batched(id) ? e.mul(f.leading_extent(id), rows / s[0]) : e.c64(rows);
  llvm::Value* factor = e.b.CreateFDiv(llvm::ConstantFP::get(e.f64, 1.0), e.b.CreateSIToFP(count, e.f64));
  return e.splat(e.b.CreateFPTrunc(factor, e.f32), lanes);
}

llvm::Value* generated_values(KernelFrame& f, const ir::Node& n, llvm::Value* flat, int lanes) {
  switch (ir::sub_op<ir::GeneratorOp>(n.op)) {
    case ir::GeneratorOp::Fill: return f.e.constant(f.e.vec(lanes, f.e.f32), static_cast<float>(n.attrs.value));
    case ir::GeneratorOp::DropoutMask: return dropout_values(f, n, flat, lanes);
  }
  throw std::logic_error("generated_values: unknown generator");
}

llvm::Value* KernelFrame::element(NodeId id, llvm::Value* flat, int lanes, llvm::Value* mask) {
  const ir::Node& n = graph.node(plan.alias_of[static_cast<std::size_t>(id)]);
  if (plan.generated(id)) return generated_values(*this, n, flat, lanes);
  return e.vload(ptr(id), flat, lanes, mask);
}

Epilogue::Epilogue(KernelFrame& f) : f_(f) {
  const bool summed_here = sink_mode(f.plan, f.graph, f.kernel) == SinkMode::Epilogue;
  for (NodeId id : f.kernel.nodes) {
    if (!is_sink(f.plan, f.graph, id)) {
      chain_.push_back(id);
    } else if (summed_here) {
      sinks_.push_back(id);
      const ir::Shape& xs = f.shape(f.node(id).inputs[0]);
      const std::int64_t V = (xs.back() + f.e.width - 1) / f.e.width;
      llvm::Type* doubles = f.e.vec(f.e.width, f.e.f64);
      sums_.emplace_back();
      for (std::int64_t v = 0; v < V; ++v) sums_.back().push_back(f.e.var(doubles, f.e.constant(doubles, 0.0)));
    }
  }
}

Emitter::Var& Epilogue::sum(std::size_t sink, llvm::Value* channel) {
  const auto* c = llvm::dyn_cast<llvm::ConstantInt>(channel);
  if (!c || c->getSExtValue() % f_.e.width != 0)
    throw std::logic_error("epilogue: a sink needs a constant channel at a vector boundary");
  return sums_[sink][static_cast<std::size_t>(c->getSExtValue() / f_.e.width)];
}

void Epilogue::close() {
  Emitter& e = f_.e;
  for (std::size_t s = 0; s < sinks_.size(); ++s) {
    const std::int64_t C = f_.shape(f_.node(sinks_[s]).inputs[0]).back();
    llvm::Value* part = f_.scratch(sinks_[s], f_.tid);
    for (std::size_t v = 0; v < sums_[s].size(); ++v) {
      const std::int64_t left = C - static_cast<std::int64_t>(v) * e.width;
      e.vstore(sums_[s][v].get(), part, e.c64(static_cast<std::int64_t>(v) * e.width),
               left >= e.width ? nullptr : e.first_lanes(e.width, left));
    }
  }
}

bool Epilogue::per_channel() const {
  if (!sinks_.empty()) return true;
  for (NodeId id : chain_) {
    const ir::OpCategory c = category(f_.node(id).op);
    if (c == ir::OpCategory::ChannelBinary || c == ir::OpCategory::ChannelBroadcast) return true;
  }
  return false;
}

namespace {
/// Chains up to this long run unrolled over a block's pixels, unless they
/// call libm (tanh, gelu, sigmoid: a call per lane, and every call clobbers
/// the vector registers anyway). Others loop over the block from a stack
/// copy, which keeps their code small but splits the tap loop's live range:
/// a conv whose taps are all unrolled (3 input channels: 54 weight vectors
/// held across blocks) then spills them and ran 2.5x slower (resnet_bn's
/// first conv in inference, 14 -> 36 Mcycles per 256 images).
constexpr std::size_t kUnrolledChain = 8;
}  // namespace

void Epilogue::finish_block(const std::vector<llvm::Value*>& block, const std::vector<llvm::Value*>& flats,
                            llvm::Value* channel, llvm::Value* mask, const std::vector<llvm::Value*>& fresh) {
  Emitter& e = f_.e;
  const bool counted = !fresh.empty() && !sinks_.empty();
  // The first pixel unrolled tells whether the chain calls libm.
  std::size_t first = 0;
  if (chain_.size() <= kUnrolledChain || block.size() == 1) {
    const std::int64_t calls = e.libm_calls;
    for (; first < block.size() && (first == 0 || e.libm_calls == calls); ++first)
      apply(block[first], flats[first], channel, mask, counted ? fresh[first] : nullptr);
    if (first == block.size()) return;
  }
  llvm::Type* t = block.front()->getType();
  const int lanes = t->isVectorTy() ? static_cast<int>(llvm::cast<llvm::FixedVectorType>(t)->getNumElements()) : 1;
  const auto count = static_cast<std::int64_t>(block.size() - first);
  llvm::Value* tile = e.local(e.f32, count * lanes);
  llvm::Value* at = e.local(e.i64, count);
  llvm::Value* news = counted ? e.local(e.b.getInt8Ty(), count) : nullptr;
  for (std::int64_t q = 0; q < count; ++q) {
    const auto from = first + static_cast<std::size_t>(q);
    e.vstore(block[from], tile, e.c64(q * lanes), nullptr);
    e.store(flats[from], at, q);
    if (counted) e.store(e.b.CreateZExt(fresh[from], e.b.getInt8Ty()), news, q);
  }
  e.loop(0, count, [&](llvm::Value* q) {
    llvm::Value* is_new = counted ? e.b.CreateTrunc(e.load(e.b.getInt8Ty(), news, q), e.b.getInt1Ty()) : nullptr;
    apply(e.vload(tile, e.mul(q, lanes), lanes, nullptr), e.load(e.i64, at, q), channel, mask, is_new);
  });
}

void Epilogue::prefetch(llvm::Value* flat) {
  Emitter& e = f_.e;
  std::set<NodeId> seen(chain_.begin(), chain_.end());
  auto touch = [&](llvm::Value* base, bool write) {
    llvm::Value* at = e.b.CreateInBoundsGEP(e.f32, base, flat);
    e.b.CreateIntrinsic(llvm::Intrinsic::prefetch, {e.ptr}, {at, e.b.getInt32(write ? 1 : 0), e.b.getInt32(3), e.b.getInt32(1)});
  };
  for (std::size_t m = 0; m < chain_.size(); ++m) {
    const ir::Node& n = f_.node(chain_[m]);
    if (m > 0 && !ir::as_op<ir::ChannelBroadcastOp>(n.op))
      for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        const NodeId in = f_.plan.alias_of[static_cast<std::size_t>(n.inputs[i])];
        if (seen.count(in) || (category(n.op) == ir::OpCategory::ChannelBinary && i == 1) || f_.plan.generated(in)) continue;
        seen.insert(in);
        if (llvm::Value* p = f_.ptr(in)) touch(p, false);
      }
    if (llvm::Value* out = f_.ptr(chain_[m])) touch(out, true);
  }
}

llvm::Value* Epilogue::apply(llvm::Value* v, llvm::Value* flat, llvm::Value* channel, llvm::Value* mask, llvm::Value* fresh) {
  Emitter& e = f_.e;
  const int lanes = v->getType()->isVectorTy() ? static_cast<int>(llvm::cast<llvm::FixedVectorType>(v->getType())->getNumElements()) : 1;
  std::map<NodeId, llvm::Value*> values{{chain_.front(), v}};
  auto operand = [&](const ir::Node& n, std::size_t i) -> llvm::Value* {
    const NodeId in = f_.plan.alias_of[static_cast<std::size_t>(n.inputs[i])];
    if (auto found = values.find(in); found != values.end()) return found->second;
    const bool per_channel = category(n.op) == ir::OpCategory::ChannelBinary && i == 1;
    return per_channel ? f_.element(in, channel, lanes, mask) : f_.element(in, flat, lanes, mask);
  };
  for (std::size_t m = 0; m < chain_.size(); ++m) {
    const NodeId id = chain_[m];
    if (m > 0) {
      const ir::Node& n = f_.node(id);
      if (const auto op = ir::as_op<ir::ChannelBroadcastOp>(n.op)) {  // a member pulled in: c at the channel
        llvm::Value* c = f_.element(n.inputs[0], channel, lanes, mask);
        switch (*op) {
          case ir::ChannelBroadcastOp::ChannelBroadcast: values[id] = c; break;
          case ir::ChannelBroadcastOp::ChannelSpread: values[id] = e.b.CreateFMul(c, spread_factor(f_, id, lanes)); break;
        }
      } else {
        values[id] = elementwise_value(e, n, operand(n, 0), n.inputs.size() > 1 ? operand(n, 1) : nullptr);
      }
    }
    if (llvm::Value* out = f_.ptr(id)) e.vstore(values[id], out, flat, mask);
  }
  // Sinks: the member's lanes (inactive ones as zero) added in double, as
  // emit_channel_sums adds a loaded vector.
  for (std::size_t s = 0; s < sinks_.size(); ++s) {
    if (lanes != e.width) throw std::logic_error("epilogue: a sink needs whole channel vectors");
    llvm::Value* x = values.at(f_.plan.alias_of[static_cast<std::size_t>(f_.node(sinks_[s]).inputs[0])]);
    if (mask) x = e.b.CreateSelect(mask, x, e.constant(x->getType(), 0.0));
    if (fresh) x = e.b.CreateSelect(fresh, x, e.constant(x->getType(), 0.0));  // adding +0 changes no sum
    Emitter::Var& acc = sum(s, channel);
    acc.set(e.b.CreateFAdd(acc.get(), e.b.CreateFPExt(x, e.vec(e.width, e.f64))));
  }
  return values[chain_.back()];
}

}  // namespace tl::codegen
