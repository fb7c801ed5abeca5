// IR-building helpers shared by the op emitters: typed loads and stores by
// element index, counted loops, conditionals, stack accumulators and libm
// calls. Private to the codegen translation unit (the only one, with
// jit_engine.cpp, that sees LLVM headers).
//
// Arithmetic is emitted without fast-math flags, in the same order and
// precision as the reference kernels; the hot loops (conv, matmul) use fused
// multiply-adds, and reductions split between threads round differently, so
// those agree with the reference to float rounding rather than bit for bit.
// Vectors are explicit: `width` floats (16 with AVX-512), with masked loads
// and stores for the lanes past the end of a row.
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <concepts>
#include <cstdint>
#include <functional>
#include <unordered_map>

namespace tl::codegen {

class Emitter {
 public:
  /// `width`: floats per vector register of the target.
  Emitter(llvm::Module& module, int width);

  llvm::LLVMContext& ctx;
  llvm::Module& mod;
  llvm::IRBuilder<> b;
  llvm::Type* f32;
  llvm::Type* f64;
  llvm::Type* i32;
  llvm::Type* i64;
  llvm::Type* i1;
  llvm::PointerType* ptr;
  int width;
  /// While set, loops are marked not to be vectorised or unrolled: cold code
  /// stays small, which keeps compile time down.
  bool cold = false;
  /// Scalar libm calls emitted so far (Epilogue::finish_block unrolls only chains that make none).
  std::int64_t libm_calls = 0;

  llvm::Value* c64(std::int64_t v) { return b.getInt64(static_cast<std::uint64_t>(v)); }
  llvm::Value* c32(std::int32_t v) { return b.getInt32(static_cast<std::uint32_t>(v)); }
  llvm::Value* cf(float v);
  llvm::Value* cd(double v);

  // --- i64 index arithmetic (no signed wrap: indices are small) ---------------
  llvm::Value* add(llvm::Value* a, llvm::Value* c) { return b.CreateNSWAdd(a, c); }
  llvm::Value* add(llvm::Value* a, std::int64_t c) { return c == 0 ? a : b.CreateNSWAdd(a, c64(c)); }
  llvm::Value* mul(llvm::Value* a, llvm::Value* c) { return b.CreateNSWMul(a, c); }
  llvm::Value* mul(llvm::Value* a, std::int64_t c) { return c == 1 ? a : b.CreateNSWMul(a, c64(c)); }
  /// a * s + c, the usual row-major step.
  llvm::Value* mad(llvm::Value* a, std::int64_t s, llvm::Value* c) { return add(mul(a, s), c); }
  llvm::Value* smin(llvm::Value* a, llvm::Value* c);
  llvm::Value* smax(llvm::Value* a, llvm::Value* c);

  // --- memory -------------------------------------------------------------------
  /// Address of base[index] for elements of `type`.
  llvm::Value* at(llvm::Type* type, llvm::Value* base, llvm::Value* index);
  llvm::Value* load(llvm::Type* type, llvm::Value* base, llvm::Value* index) {
    return vload(base, index, 1, nullptr, type);
  }
  template <std::integral I>
  llvm::Value* load(llvm::Type* type, llvm::Value* base, I index) {
    return load(type, base, c64(static_cast<std::int64_t>(index)));
  }
  void store(llvm::Value* v, llvm::Value* base, llvm::Value* index) { b.CreateStore(v, at(v->getType(), base, index)); }
  template <std::integral I>
  void store(llvm::Value* v, llvm::Value* base, I index) {
    store(v, base, c64(static_cast<std::int64_t>(index)));
  }
  /// Address of row `r` of a float matrix with rows of `size`.
  llvm::Value* row(llvm::Value* base, llvm::Value* r, std::int64_t size) { return at(f32, base, mul(r, size)); }
  /// How marked bytes read as floats: float(byte) * scale + offset (f32 values).
  struct PixelMap {
    llvm::Value* scale = nullptr;
    llvm::Value* offset = nullptr;
  };
  /// Marks `pointer` (a function's parameter) as bytes that read as floats:
  /// element i loads as float(byte i) * scale + offset (a multiply, then an
  /// add, never fused: the float data::gather computes), where the kernels
  /// read it as floats through at(), load() and vload(). Addresses at()
  /// derives from it keep the mark; storing through them is a codegen bug
  /// (std::logic_error). Marks hold for the function being emitted: clear them
  /// before the next.
  void read_as_pixels(llvm::Value* pointer, PixelMap map) { pixel_bytes_[pointer] = map; }
  void clear_pixel_marks() { pixel_bytes_.clear(); }
  /// The pixel map of `address` when it points into marked bytes, else null.
  const PixelMap* pixel_map(llvm::Value* address) const;
  /// Sets `count` floats at base[first...] to zero.
  void zero(llvm::Value* base, llvm::Value* first, llvm::Value* count, llvm::Type* type);

  // --- control flow ---------------------------------------------------------------
  /// for (i = lo; i < hi; ++i) body(i), with i an i64.
  void loop(llvm::Value* lo, llvm::Value* hi, const std::function<void(llvm::Value*)>& body);
  void loop(std::int64_t lo, std::int64_t hi, const std::function<void(llvm::Value*)>& body) {
    loop(c64(lo), c64(hi), body);
  }
  /// Covers [first, last) with blocks of `block` indices: body(index) gets the
  /// index of row r < block of the current block. One copy of the body serves
  /// every block: the last block is moved back to end at `last` (or, for a
  /// range shorter than a block, its indices are clamped to last - 1), so
  /// some indices are visited twice; bodies must store, not accumulate.
  void blocks(llvm::Value* first, llvm::Value* last, std::int64_t block,
              const std::function<void(const std::function<llvm::Value*(std::int64_t)>&)>& body);
  /// blocks(), also telling the body which of its indices no earlier block
  /// visited: fresh(r) is true for those, so a body may add them up.
  void counted_blocks(llvm::Value* first, llvm::Value* last, std::int64_t block,
                      const std::function<void(const std::function<llvm::Value*(std::int64_t)>& index,
                                               const std::function<llvm::Value*(std::int64_t)>& fresh)>& body);
  /// Calls body(i, mask) for i = first, first + width, ... < last: one vector
  /// of `width` elements each, the lanes past `last` masked off (the mask is
  /// null when `exact` says width divides every range this loop sees).
  void vector_loop(llvm::Value* first, llvm::Value* last, bool exact,
                   const std::function<void(llvm::Value*, llvm::Value*)>& body);
  /// for (i = lo; i < hi; ++i) with constant bounds: unrolled at emission
  /// (body sees constants, so padding checks and offsets fold) when there are
  /// at most `limit` iterations, else a loop.
  void unrolled(std::int64_t lo, std::int64_t hi, const std::function<void(llvm::Value*)>& body, std::int64_t limit = 16);
  void when(llvm::Value* cond, const std::function<void()>& then);
  /// A stack array of `count` elements in the function's entry block.
  llvm::Value* local(llvm::Type* type, std::int64_t count);
  /// A scalar accumulator: read with get(), written with set().
  struct Var {
    Emitter* e;
    llvm::Type* type;
    llvm::Value* slot;
    llvm::Value* get() const { return e->b.CreateLoad(type, slot); }
    void set(llvm::Value* v) const { e->b.CreateStore(v, slot); }
  };
  Var var(llvm::Type* type, llvm::Value* init);

  // --- vectors (lanes == 1 means a scalar; a null mask means every lane) ---------
  llvm::Type* vec(int lanes, llvm::Type* element) const;
  llvm::Value* splat(llvm::Value* scalar, int lanes);
  /// A float or double constant of `type` (scalar or vector).
  llvm::Value* constant(llvm::Type* type, double v);
  /// Lanes [0, count) of `lanes` active; count may be a runtime i64.
  llvm::Value* first_lanes(int lanes, std::int64_t count);
  llvm::Value* first_lanes(int lanes, llvm::Value* count);
  /// `lanes` consecutive elements of `type` (f32 by default) from base[index].
  llvm::Value* vload(llvm::Value* base, llvm::Value* index, int lanes, llvm::Value* mask, llvm::Type* type = nullptr);
  void vstore(llvm::Value* v, llvm::Value* base, llvm::Value* index, llvm::Value* mask);
  /// a * b + c, fused where the target allows.
  llvm::Value* fma(llvm::Value* a, llvm::Value* b, llvm::Value* c);
  /// Transposes a square tile given as `rows.size()` vectors of as many lanes
  /// (a power of two): log2(n) rounds of two-source shuffles that swap
  /// off-diagonal blocks of halving size.
  std::vector<llvm::Value*> transpose(std::vector<llvm::Value*> rows);
  /// Applies a scalar function lane by lane (libm has no vector entry points here).
  llvm::Value* per_lane(llvm::Value* v, const std::function<llvm::Value*(llvm::Value*)>& fn);

  // --- math -------------------------------------------------------------------------
  /// A C library function of one argument (expf, tanhf, exp, log), declared
  /// pure; applied lane by lane to a vector.
  llvm::Value* libm(const char* name, llvm::Value* x);
  llvm::Value* sqrt(llvm::Value* x);
  /// std::max(a, b) for floats: (a < b) ? b : a.
  llvm::Value* max_of(llvm::Value* a, llvm::Value* c) { return b.CreateSelect(b.CreateFCmpOLT(a, c), c, a); }
  llvm::Value* to_f64(llvm::Value* x) { return b.CreateFPExt(x, f64); }
  llvm::Value* to_f32(llvm::Value* x) { return b.CreateFPTrunc(x, f32); }

 private:
  /// The pixel map of each pointer marked by read_as_pixels (or derived from one).
  std::unordered_map<llvm::Value*, PixelMap> pixel_bytes_;
};

/// The rows [first, last) of `extent` that thread `tid` of `threads` owns.
struct RowRange {
  llvm::Value* first;
  llvm::Value* last;
};
RowRange thread_rows(Emitter& e, llvm::Value* extent, llvm::Value* tid, llvm::Value* threads);

}  // namespace tl::codegen
