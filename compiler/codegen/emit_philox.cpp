// Philox4x32-10 in LLVM IR, the same function as rng::philox4x32 /
// rng::draw (compiler/ir/philox.hpp), so JIT dropout masks equal the
// reference's bit for bit. Works lane by lane on vectors, so a mask is
// generated inside the vector loop that uses it.
#include <cmath>

#include <llvm/IR/IntrinsicsX86.h>

#include "compiler/codegen/kernel_frame.hpp"

namespace tl::codegen {

namespace {

/// The (hi, lo) halves of the 64-bit products m * x, for i32 lanes x.
std::pair<llvm::Value*, llvm::Value*> mul_hi_lo(Emitter& e, std::uint32_t m, llvm::Value* x) {
  llvm::Type* wide = x->getType()->isVectorTy() ? llvm::VectorType::get(e.i64, llvm::cast<llvm::VectorType>(x->getType())->getElementCount())
                                                : static_cast<llvm::Type*>(e.i64);
  llvm::Value* p = e.b.CreateMul(llvm::ConstantInt::get(wide, m), e.b.CreateZExt(x, wide));
  return {e.b.CreateTrunc(e.b.CreateLShr(p, 32), x->getType()), e.b.CreateTrunc(p, x->getType())};
}

}  // namespace

std::array<llvm::Value*, 4> emit_philox(Emitter& e, llvm::Value* seed, std::uint64_t stream, llvm::Value* hi,
                                        llvm::Value* lo) {
  llvm::Type* t = lo->getType();
  auto lanes = [&](llvm::Value* scalar) {
    return t->isVectorTy() ? e.b.CreateVectorSplat(llvm::cast<llvm::FixedVectorType>(t)->getNumElements(), scalar)
                           : scalar;
  };
  auto word = [&](std::uint32_t v) { return llvm::ConstantInt::get(t, v); };
  // key = seed, counter = (lo, hi, stream low, stream high)
  llvm::Value* k0 = lanes(e.b.CreateTrunc(seed, e.i32));
  llvm::Value* k1 = lanes(e.b.CreateTrunc(e.b.CreateLShr(seed, 32), e.i32));
  std::array<llvm::Value*, 4> c = {lo, lanes(hi), word(static_cast<std::uint32_t>(stream)),
                                   word(static_cast<std::uint32_t>(stream >> 32))};
  for (int round = 0; round < 10; ++round) {
    const auto [hi0, lo0] = mul_hi_lo(e, 0xD2511F53u, c[0]);
    const auto [hi1, lo1] = mul_hi_lo(e, 0xCD9E8D57u, c[2]);
    c = {e.b.CreateXor(e.b.CreateXor(hi1, c[1]), k0), lo1, e.b.CreateXor(e.b.CreateXor(hi0, c[3]), k1), lo0};
    k0 = e.b.CreateAdd(k0, word(0x9E3779B9u));
    k1 = e.b.CreateAdd(k1, word(0xBB67AE85u));
  }
  return c;
}

llvm::Value* dropout_values(KernelFrame& f, const ir::Node& n, llvm::Value* flat, int lanes) {
  // Element i keeps (value 1/(1-rate)) when word i % 4 of Philox block i / 4,
  // as a [0,1) float from its top 24 bits, is >= rate; that compare is done
  // exactly in integers: top24 >= ceil(rate * 2^24).
  Emitter& e = f.e;
  auto& b = e.b;
  const double rate = n.attrs.rate;
  const float keep = rate < 1.0 ? static_cast<float>(1.0 / (1.0 - rate)) : 0.0f;
  const auto threshold = static_cast<std::uint32_t>(std::min(std::ceil(std::max(rate, 0.0) * 16777216.0), 16777216.0));
  // A data-parallel shard's rows come after row_offset rows of the batch.
  const std::int64_t row = n.shape.empty() ? 0 : ir::element_count(n.shape) / n.shape[0];
  llvm::Value* index = row == 0 ? flat : e.add(flat, e.mul(f.arg(StepSlot::RowOffset, e.i64), row));
  if (lanes > 1) {
    std::vector<llvm::Constant*> offsets;
    for (int i = 0; i < lanes; ++i) offsets.push_back(b.getInt64(static_cast<std::uint64_t>(i)));
    index = b.CreateAdd(e.splat(index, lanes), llvm::ConstantVector::get(offsets));
  }
  llvm::Type* i32s = e.vec(lanes, e.i32);
  llvm::Value* step = b.CreateTrunc(f.arg(StepSlot::Step, e.i64), e.i32);
  llvm::Value* block = b.CreateTrunc(b.CreateLShr(index, 2), i32s);  // each lane's Philox block
  std::array<llvm::Value*, 4> w;
  if (lanes == 16 && e.width == 16) {
    // 16 elements use 4 or 5 blocks: generate 8 (half-width vectors, half
    // the work of one block per lane) and permute each lane's block in.
    llvm::Value* first = b.CreateTrunc(b.CreateLShr(e.b.CreateExtractElement(index, std::uint64_t{0}), 2), e.i32);
    std::vector<llvm::Constant*> steps;
    for (std::uint32_t i = 0; i < 8; ++i) steps.push_back(b.getInt32(i));
    const auto eight = emit_philox(e, f.arg(StepSlot::Seed, e.i64), n.attrs.stream, step,
                                   b.CreateAdd(b.CreateVectorSplat(8, first), llvm::ConstantVector::get(steps)));
    llvm::Value* at = b.CreateSub(block, e.splat(first, 16));
    std::vector<int> widen(16);
    for (int i = 0; i < 16; ++i) widen[static_cast<std::size_t>(i)] = i % 8;
    for (std::size_t k = 0; k < 4; ++k)
      w[k] = b.CreateIntrinsic(llvm::Intrinsic::x86_avx512_permvar_si_512, {}, {b.CreateShuffleVector(eight[k], widen), at});
  } else {
    w = emit_philox(e, f.arg(StepSlot::Seed, e.i64), n.attrs.stream, step, block);
  }
  llvm::Value* which = b.CreateTrunc(b.CreateAnd(index, llvm::ConstantInt::get(index->getType(), 3)), i32s);
  auto is = [&](std::uint32_t k) { return b.CreateICmpEQ(which, llvm::ConstantInt::get(i32s, k)); };
  llvm::Value* word = b.CreateSelect(is(0), w[0], b.CreateSelect(is(1), w[1], b.CreateSelect(is(2), w[2], w[3])));
  llvm::Value* kept = b.CreateICmpUGE(b.CreateLShr(word, llvm::ConstantInt::get(i32s, 8)), llvm::ConstantInt::get(i32s, threshold));
  llvm::Type* floats = e.vec(lanes, e.f32);
  return b.CreateSelect(kept, e.constant(floats, keep), e.constant(floats, 0.0));
}

}  // namespace tl::codegen
