// IR-building helpers (see emitter.hpp).
#include "compiler/codegen/emitter.hpp"

#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Metadata.h>

#include <stdexcept>
#include <vector>

namespace tl::codegen {

Emitter::Emitter(llvm::Module& module, int lanes)
    : ctx(module.getContext()),
      mod(module),
      b(module.getContext()),
      f32(b.getFloatTy()),
      f64(b.getDoubleTy()),
      i32(b.getInt32Ty()),
      i64(b.getInt64Ty()),
      i1(b.getInt1Ty()),
      ptr(b.getPtrTy()),
      width(lanes) {}

llvm::Value* Emitter::cf(float v) { return llvm::ConstantFP::get(f32, static_cast<double>(v)); }
llvm::Value* Emitter::cd(double v) { return llvm::ConstantFP::get(f64, v); }

llvm::Value* Emitter::smin(llvm::Value* a, llvm::Value* c) { return b.CreateSelect(b.CreateICmpSLT(a, c), a, c); }
llvm::Value* Emitter::smax(llvm::Value* a, llvm::Value* c) { return b.CreateSelect(b.CreateICmpSGT(a, c), a, c); }

const Emitter::PixelMap* Emitter::pixel_map(llvm::Value* address) const {
  const auto found = pixel_bytes_.find(address);
  return found == pixel_bytes_.end() ? nullptr : &found->second;
}

llvm::Value* Emitter::at(llvm::Type* type, llvm::Value* base, llvm::Value* index) {
  const PixelMap* map = pixel_map(base);
  if (!map) return b.CreateInBoundsGEP(type, base, index);
  if (type != f32) throw std::logic_error("codegen: pixel bytes addressed as a type other than float");
  const PixelMap copy = *map;  // emplace may rehash
  llvm::Value* address = b.CreateInBoundsGEP(b.getInt8Ty(), base, index);  // one byte per element
  pixel_bytes_.emplace(address, copy);
  return address;
}

void Emitter::zero(llvm::Value* base, llvm::Value* first, llvm::Value* count, llvm::Type* type) {
  const auto bytes = static_cast<std::int64_t>(mod.getDataLayout().getTypeAllocSize(type));
  llvm::Value* address = at(type, base, first);
  if (pixel_map(address)) throw std::logic_error("codegen: a kernel writes to its byte input");
  b.CreateMemSet(address, b.getInt8(0), mul(count, bytes), llvm::MaybeAlign(4));
}

void Emitter::loop(llvm::Value* lo, llvm::Value* hi, const std::function<void(llvm::Value*)>& body) {
  auto* first = llvm::dyn_cast<llvm::ConstantInt>(lo);
  auto* last = llvm::dyn_cast<llvm::ConstantInt>(hi);
  if (first && last && first->getSExtValue() >= last->getSExtValue()) return;  // no iterations
  llvm::Function* fn = b.GetInsertBlock()->getParent();
  llvm::BasicBlock* pre = b.GetInsertBlock();
  llvm::BasicBlock* head = llvm::BasicBlock::Create(ctx, "loop", fn);
  llvm::BasicBlock* inner = llvm::BasicBlock::Create(ctx, "body", fn);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx, "done", fn);
  b.CreateBr(head);
  b.SetInsertPoint(head);
  llvm::PHINode* i = b.CreatePHI(i64, 2, "i");
  i->addIncoming(lo, pre);
  b.CreateCondBr(b.CreateICmpSLT(i, hi), inner, done);
  b.SetInsertPoint(inner);
  body(i);
  llvm::Value* next = b.CreateNSWAdd(i, c64(1));
  i->addIncoming(next, b.GetInsertBlock());
  llvm::BranchInst* back = b.CreateBr(head);
  if (cold) {
    // Self-referential loop ID: vectorize.enable false, unroll.disable.
    llvm::Metadata* no_vector[] = {llvm::MDString::get(ctx, "llvm.loop.vectorize.enable"),
                                   llvm::ConstantAsMetadata::get(b.getFalse())};
    llvm::Metadata* no_unroll[] = {llvm::MDString::get(ctx, "llvm.loop.unroll.disable")};
    llvm::MDNode* id = llvm::MDNode::getDistinct(
        ctx, {nullptr, llvm::MDNode::get(ctx, no_vector), llvm::MDNode::get(ctx, no_unroll)});
    id->replaceOperandWith(0, id);
    back->setMetadata(llvm::LLVMContext::MD_loop, id);
  }
  b.SetInsertPoint(done);
}

void Emitter::blocks(llvm::Value* first, llvm::Value* last, std::int64_t block,
                     const std::function<void(const std::function<llvm::Value*(std::int64_t)>&)>& body) {
  counted_blocks(first, last, block,
                 [&](const std::function<llvm::Value*(std::int64_t)>& index, const std::function<llvm::Value*(std::int64_t)>&) {
                   body(index);
                 });
}

void Emitter::counted_blocks(llvm::Value* first, llvm::Value* last, std::int64_t block,
                             const std::function<void(const std::function<llvm::Value*(std::int64_t)>&,
                                                      const std::function<llvm::Value*(std::int64_t)>&)>& body) {
  llvm::Value* count = b.CreateSDiv(add(b.CreateSub(last, first), block - 1), c64(block));
  llvm::Value* final_start = smax(first, add(last, -block));
  loop(c64(0), count, [&](llvm::Value* q) {
    llvm::Value* unseen = add(first, mul(q, block));  // where this block would start if not moved back
    llvm::Value* start = smin(unseen, final_start);
    llvm::Value* end = add(last, -1);
    body([&](std::int64_t r) { return r == 0 ? start : smin(add(start, r), end); },
         [&](std::int64_t r) {
           llvm::Value* i = add(start, r);
           return b.CreateAnd(b.CreateICmpSGE(i, unseen), b.CreateICmpSLT(i, last));
         });
  });
}

void Emitter::vector_loop(llvm::Value* first, llvm::Value* last, bool exact,
                          const std::function<void(llvm::Value*, llvm::Value*)>& body) {
  llvm::Value* count = b.CreateSDiv(add(b.CreateSub(last, first), width - 1), c64(width));
  loop(c64(0), count, [&](llvm::Value* j) {
    llvm::Value* i = add(first, mul(j, width));
    body(i, exact ? nullptr : first_lanes(width, b.CreateSub(last, i)));
  });
}

void Emitter::unrolled(std::int64_t lo, std::int64_t hi, const std::function<void(llvm::Value*)>& body, std::int64_t limit) {
  if (hi - lo > limit) return loop(lo, hi, body);
  for (std::int64_t i = lo; i < hi; ++i) body(c64(i));
}

void Emitter::when(llvm::Value* cond, const std::function<void()>& then) {
  llvm::Function* fn = b.GetInsertBlock()->getParent();
  llvm::BasicBlock* yes = llvm::BasicBlock::Create(ctx, "then", fn);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx, "endif", fn);
  b.CreateCondBr(cond, yes, done);
  b.SetInsertPoint(yes);
  then();
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

llvm::Value* Emitter::local(llvm::Type* type, std::int64_t count) {
  llvm::Function* fn = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> entry(&fn->getEntryBlock(), fn->getEntryBlock().begin());
  auto* slot = entry.CreateAlloca(type, c64(count));
  slot->setAlignment(llvm::Align(64));
  return slot;
}

Emitter::Var Emitter::var(llvm::Type* type, llvm::Value* init) {
  Var v{this, type, local(type, 1)};
  v.set(init);
  return v;
}

llvm::Type* Emitter::vec(int lanes, llvm::Type* element) const {
  return lanes == 1 ? element : llvm::FixedVectorType::get(element, static_cast<unsigned>(lanes));
}

llvm::Value* Emitter::splat(llvm::Value* scalar, int lanes) {
  return lanes == 1 ? scalar : b.CreateVectorSplat(static_cast<unsigned>(lanes), scalar);
}

llvm::Value* Emitter::constant(llvm::Type* type, double v) { return llvm::ConstantFP::get(type, v); }

llvm::Value* Emitter::first_lanes(int lanes, std::int64_t count) {
  std::vector<llvm::Constant*> bits;
  for (int i = 0; i < lanes; ++i) bits.push_back(b.getInt1(i < count));
  return llvm::ConstantVector::get(bits);
}

llvm::Value* Emitter::first_lanes(int lanes, llvm::Value* count) {
  std::vector<llvm::Constant*> index;
  for (int i = 0; i < lanes; ++i) index.push_back(b.getInt64(static_cast<std::uint64_t>(i)));
  return b.CreateICmpSLT(llvm::ConstantVector::get(index), splat(count, lanes));
}

llvm::Value* Emitter::vload(llvm::Value* base, llvm::Value* index, int lanes, llvm::Value* mask, llvm::Type* type) {
  if (!type) type = f32;
  llvm::Value* address = at(type, base, index);
  if (const PixelMap* map = pixel_map(address)) {
    // The pixel map fused into the load: float(byte) * scale + offset, as
    // data::gather computes it (no fast-math flags, so never contracted to an FMA).
    llvm::Type* bytes = lanes == 1 ? b.getInt8Ty() : vec(lanes, b.getInt8Ty());
    llvm::Value* raw = nullptr;
    if (mask && lanes > 1)
      raw = b.CreateMaskedLoad(bytes, address, llvm::Align(1), mask, llvm::Constant::getNullValue(bytes));
    else
      raw = b.CreateAlignedLoad(bytes, address, llvm::Align(1));
    llvm::Value* scaled = b.CreateFMul(b.CreateUIToFP(raw, vec(lanes, f32)), splat(map->scale, lanes));
    return b.CreateFAdd(scaled, splat(map->offset, lanes));
  }
  if (lanes == 1) return b.CreateLoad(type, address);
  llvm::Type* t = vec(lanes, type);
  if (!mask) return b.CreateAlignedLoad(t, address, llvm::Align(4));
  return b.CreateMaskedLoad(t, address, llvm::Align(4), mask, llvm::Constant::getNullValue(t));
}

void Emitter::vstore(llvm::Value* v, llvm::Value* base, llvm::Value* index, llvm::Value* mask) {
  llvm::Type* t = v->getType();
  llvm::Value* address = at(t->getScalarType(), base, index);
  if (pixel_map(address)) throw std::logic_error("codegen: a kernel writes to its byte input");
  if (!t->isVectorTy()) {
    b.CreateStore(v, address);
  } else if (!mask) {
    b.CreateAlignedStore(v, address, llvm::Align(4));
  } else {
    b.CreateMaskedStore(v, address, llvm::Align(4), mask);
  }
}

llvm::Value* Emitter::fma(llvm::Value* a, llvm::Value* c, llvm::Value* d) {
  return b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {a->getType()}, {a, c, d});
}

std::vector<llvm::Value*> Emitter::transpose(std::vector<llvm::Value*> rows) {
  const int n = static_cast<int>(rows.size());
  for (int s = n / 2; s >= 1; s /= 2) {
    // Rows i and j = i + s: lanes with bit s set trade places with the other row.
    std::vector<int> low(static_cast<std::size_t>(n)), high(static_cast<std::size_t>(n));
    for (int k = 0; k < n; ++k) {
      low[k] = (k & s) ? n + k - s : k;    // row i: its own lane k, or lane k - s of row j
      high[k] = (k & s) ? n + k : k + s;   // row j: lane k + s of row i, or its own lane k
    }
    for (int i = 0; i < n; ++i) {
      if (i & s) continue;
      llvm::Value* a = rows[i];
      llvm::Value* c = rows[i + s];
      rows[i] = b.CreateShuffleVector(a, c, low);
      rows[i + s] = b.CreateShuffleVector(a, c, high);
    }
  }
  return rows;
}

llvm::Value* Emitter::per_lane(llvm::Value* v, const std::function<llvm::Value*(llvm::Value*)>& fn) {
  auto* t = llvm::dyn_cast<llvm::FixedVectorType>(v->getType());
  if (!t) return fn(v);
  llvm::Value* out = llvm::PoisonValue::get(t);
  for (unsigned i = 0; i < t->getNumElements(); ++i)
    out = b.CreateInsertElement(out, fn(b.CreateExtractElement(v, b.getInt64(i))), b.getInt64(i));
  return out;
}

llvm::Value* Emitter::libm(const char* name, llvm::Value* x) {
  if (x->getType()->isVectorTy()) return per_lane(x, [&](llvm::Value* lane) { return libm(name, lane); });
  llvm::Type* t = x->getType();
  llvm::FunctionCallee callee = mod.getOrInsertFunction(name, llvm::FunctionType::get(t, {t}, false));
  auto* fn = llvm::cast<llvm::Function>(callee.getCallee());
  fn->setDoesNotThrow();
  fn->setMemoryEffects(llvm::MemoryEffects::none());  // errno is never read
  fn->addFnAttr(llvm::Attribute::WillReturn);
  ++libm_calls;
  return b.CreateCall(callee, {x});
}

llvm::Value* Emitter::sqrt(llvm::Value* x) { return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x); }

RowRange thread_rows(Emitter& e, llvm::Value* extent, llvm::Value* tid, llvm::Value* threads) {
  // extent * tid / threads: a fixed split, so a given thread count always
  // reduces in the same order.
  llvm::Value* first = e.b.CreateSDiv(e.mul(tid, extent), threads);
  llvm::Value* last = e.b.CreateSDiv(e.mul(e.add(tid, 1), extent), threads);
  return {first, last};
}

}  // namespace tl::codegen
