// Matmul as register-blocked vector code: a block of R rows times one vector
// of W output columns stays in R accumulators while k runs, each step one
// vector load of b and R broadcasts of a (fused multiply-adds). Every output
// element sums k in ascending order, as the reference does. One copy of the
// block code covers every row (Emitter::blocks) and column (masked) block.
//   rows:    !trans_a, the thread's output rows, values through the epilogue;
//   partial: trans_a, k is the batch: the thread sums its rows of a and b.
// A transposed b is packed per column block into a (K, W) tile first, so its
// vector loads are contiguous.
// Legend: op(a) (M,K) x op(b) (K,N) -> (M,N).
#include "compiler/codegen/kernel_frame.hpp"

namespace tl::codegen {

namespace {

constexpr int kRowBlock = 8;
constexpr std::int64_t kMaxTileBytes = 256 * 1024;

struct Gemm {
  KernelFrame& f;
  const ir::Node& n;
  std::int64_t M, K, N;
  llvm::Value* a;
  llvm::Value* b;
  llvm::Value* tile = nullptr;  // packed columns of a transposed b

  Gemm(KernelFrame& frame, ir::NodeId id) : f(frame), n(frame.node(id)) {
    const ir::Shape& as = f.shape(n.inputs[0]);
    M = n.shape[0];
    N = n.shape[1];
    K = n.attrs.trans_a ? as[0] : as[1];
    a = f.ptr(n.inputs[0]);
    b = f.ptr(n.inputs[1]);
  }

  llvm::Value* a_at(llvm::Value* i, llvm::Value* k) {
    Emitter& e = f.e;
    return e.load(e.f32, a, n.attrs.trans_a ? e.mad(k, M, i) : e.mad(i, K, k));
  }

  /// W columns of row k of op(b), from column j0 (active lanes in `mask`).
  llvm::Value* b_row(llvm::Value* k, llvm::Value* j0, llvm::Value* mask) {
    Emitter& e = f.e;
    if (!n.attrs.trans_b) return e.vload(b, e.mad(k, N, j0), e.width, mask);
    return e.vload(tile, e.mul(k, e.width), e.width, nullptr);
  }

  /// tile[k][l] = b[(j0 + l) K + k] for k in [k0, k1), columns past N zero:
  /// blocks of W x W loaded as rows of b and transposed in registers.
  void pack(llvm::Value* j0, llvm::Value* k0, llvm::Value* k1) {
    Emitter& e = f.e;
    const int W = e.width;
    if (!tile) tile = e.local(e.f32, (K + W) * W);
    llvm::Value* blocks = e.b.CreateSDiv(e.add(e.b.CreateSub(k1, k0), W - 1), e.c64(W));
    e.loop(e.c64(0), blocks, [&](llvm::Value* kb) {
      llvm::Value* kc = e.add(k0, e.mul(kb, W));
      llvm::Value* mask = e.first_lanes(W, e.b.CreateSub(k1, kc));  // k < k1
      std::vector<llvm::Value*> rows;
      for (int l = 0; l < W; ++l) {
        llvm::Value* column = e.add(j0, l);
        llvm::Value* inside = e.b.CreateICmpSLT(column, e.c64(N));
        llvm::Value* row_mask = e.b.CreateAnd(mask, e.splat(inside, W));
        rows.push_back(e.vload(b, e.mad(e.b.CreateSelect(inside, column, e.c64(0)), K, kc), W, row_mask));
      }
      const std::vector<llvm::Value*> cols = e.transpose(rows);
      for (int r = 0; r < W; ++r) e.vstore(cols[r], tile, e.mul(e.add(kc, r), W), nullptr);
    });
  }

  /// acc[r] = sum over k in [k0, k1) of a(row(r), k) * b(k, j0..), for r < rows.
  std::vector<llvm::Value*> block(const std::function<llvm::Value*(std::int64_t)>& row, int rows, llvm::Value* j0,
                                  llvm::Value* mask, llvm::Value* k0, llvm::Value* k1) {
    Emitter& e = f.e;
    llvm::Type* v = e.vec(e.width, e.f32);
    std::vector<Emitter::Var> acc;
    for (int r = 0; r < rows; ++r) acc.push_back(e.var(v, e.constant(v, 0.0)));
    std::vector<llvm::Value*> at;
    for (int r = 0; r < rows; ++r) at.push_back(row(r));
    e.loop(k0, k1, [&](llvm::Value* k) {
      llvm::Value* bk = b_row(k, j0, mask);
      for (int r = 0; r < rows; ++r) acc[r].set(e.fma(e.splat(a_at(at[r], k), e.width), bk, acc[r].get()));
    });
    std::vector<llvm::Value*> out;
    for (const auto& x : acc) out.push_back(x.get());
    return out;
  }

  /// Calls body(j0, mask) for every block of W output columns; the mask (of
  /// the columns below N) is only needed when W does not divide N.
  void for_each_column_block(const std::function<void(llvm::Value*, llvm::Value*)>& body) {
    Emitter& e = f.e;
    e.loop(0, (N + e.width - 1) / e.width, [&](llvm::Value* jb) {
      llvm::Value* j0 = e.mul(jb, e.width);
      body(j0, N % e.width ? e.first_lanes(e.width, e.b.CreateSub(e.c64(N), j0)) : nullptr);
    });
  }
};

}  // namespace

void emit_matmul(KernelFrame& f, RowRange rows) {
  Emitter& e = f.e;
  Gemm g(f, f.kernel.nodes.front());
  Epilogue epilogue(f);
  if (g.n.attrs.trans_b && g.K * e.width * 4 > kMaxTileBytes) throw std::logic_error("matmul: transposed operand too large to pack");
  g.for_each_column_block([&](llvm::Value* j0, llvm::Value* mask) {
    if (g.n.attrs.trans_b) g.pack(j0, e.c64(0), e.c64(g.K));
    e.blocks(rows.first, rows.last, kRowBlock, [&](const std::function<llvm::Value*(std::int64_t)>& row) {
      const std::vector<llvm::Value*> acc = g.block(row, kRowBlock, j0, mask, e.c64(0), e.c64(g.K));
      std::vector<llvm::Value*> flats;
      for (int r = 0; r < kRowBlock; ++r) flats.push_back(e.mad(row(r), g.N, j0));
      epilogue.finish_block(acc, flats, j0, mask);
    });
  });
}

void emit_matmul_partial(KernelFrame& f, ir::NodeId id, RowRange rows) {
  // part (M,N) = sum over the thread's k of a[k,i] * op(b)(k,j).
  Emitter& e = f.e;
  Gemm g(f, id);
  llvm::Value* part = f.scratch(id, f.tid);
  if (g.n.attrs.trans_b && g.K * e.width * 4 > kMaxTileBytes)
    throw std::logic_error("matmul: transposed operand too large to pack");
  g.for_each_column_block([&](llvm::Value* j0, llvm::Value* mask) {
    if (g.n.attrs.trans_b) g.pack(j0, rows.first, rows.last);
    e.blocks(e.c64(0), e.c64(g.M), kRowBlock, [&](const std::function<llvm::Value*(std::int64_t)>& row) {
      const std::vector<llvm::Value*> acc = g.block(row, kRowBlock, j0, mask, rows.first, rows.last);
      for (int r = 0; r < kRowBlock; ++r) e.vstore(acc[r], part, e.mad(row(r), g.N, j0), mask);
    });
  });
}

}  // namespace tl::codegen
