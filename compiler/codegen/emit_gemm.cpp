// Matmul as register-blocked vector code: a block of R rows times up to four
// vectors of W output columns stays in R x 4 accumulators while k runs, each
// step four vector loads of b and R broadcasts of a (fused multiply-adds). Every output
// element sums k in ascending order, as the reference does. One copy of the
// block code covers every row (Emitter::blocks) and column (masked) block.
//   rows:    !trans_a, the thread's output rows, values through the epilogue;
//   partial: trans_a, k is the batch: the thread sums its rows of a and b.
// A transposed b is packed per column block into a (K, W) tile first, so its
// vector loads are contiguous. An a of pixel bytes (the first dense layer of a
// byte-fed step) is widened a block of rows at a time into a float tile,
// vector by vector, which every column block then reads: not converted again
// for every column block and every k.
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
  llvm::Value* a_tile = nullptr;  // rows of a widened from pixel bytes: [r][k]

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

  /// Floats of one packed column vector of a transposed b.
  std::int64_t packed() const { return (K + f.e.width) * f.e.width; }

  /// W columns of row k of op(b), from column j0 + c W (active lanes in
  /// `mask`); a transposed b from its packed tile c.
  llvm::Value* b_row(llvm::Value* k, llvm::Value* j0, std::int64_t c, llvm::Value* mask) {
    Emitter& e = f.e;
    if (!n.attrs.trans_b) return e.vload(b, e.mad(k, N, e.add(j0, c * e.width)), e.width, mask);
    return e.vload(tile, e.add(e.mul(k, e.width), c * packed()), e.width, nullptr);
  }

  /// tile c: [k][l] = b[(j0 + c W + l) K + k] for k in [k0, k1), columns past
  /// N zero: blocks of W x W loaded as rows of b and transposed in registers.
  void pack(llvm::Value* j0, std::int64_t c, llvm::Value* k0, llvm::Value* k1) {
    Emitter& e = f.e;
    const int W = e.width;
    if (!tile) tile = e.local(e.f32, packed() * column_vectors());
    j0 = e.add(j0, c * W);
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
      for (int r = 0; r < W; ++r) e.vstore(cols[r], tile, e.add(e.mul(e.add(kc, r), W), c * packed()), nullptr);
    });
  }

  /// acc[r][v] = sum over k in [k0, k1) of a(row(r), k) * b(k, j0 + v W ..),
  /// for r < rows and v < masks.size() (a null mask: all W lanes).
  std::vector<std::vector<llvm::Value*>> block(const std::function<llvm::Value*(std::int64_t)>& row, int rows,
                                               llvm::Value* j0, const std::vector<llvm::Value*>& masks,
                                               llvm::Value* k0, llvm::Value* k1) {
    Emitter& e = f.e;
    llvm::Type* v = e.vec(e.width, e.f32);
    const std::size_t vectors = masks.size();
    std::vector<std::vector<Emitter::Var>> acc(static_cast<std::size_t>(rows));
    for (auto& r : acc)
      for (std::size_t c = 0; c < vectors; ++c) r.push_back(e.var(v, e.constant(v, 0.0)));
    std::vector<llvm::Value*> at;
    for (int r = 0; r < rows; ++r) at.push_back(row(r));
    e.loop(k0, k1, [&](llvm::Value* k) {
      std::vector<llvm::Value*> bk;
      for (std::size_t c = 0; c < vectors; ++c)
        bk.push_back(b_row(k, j0, static_cast<std::int64_t>(c), masks[c]));
      for (int r = 0; r < rows; ++r) {
        llvm::Value* ar = e.splat(a_tile ? e.load(e.f32, a_tile, e.add(k, r * K)) : a_at(at[r], k), e.width);
        for (std::size_t c = 0; c < vectors; ++c) acc[r][c].set(e.fma(ar, bk[c], acc[r][c].get()));
      }
    });
    std::vector<std::vector<llvm::Value*>> out(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r)
      for (const auto& x : acc[r]) out[r].push_back(x.get());
    return out;
  }

  /// Calls body(j0, masks) for the output columns in groups of up to
  /// `vectors` vectors of W (a packed, transposed b: one vector): the full
  /// groups in a loop, then the rest once, its last vector masked when W does
  /// not divide N.
  void for_each_column_group(int vectors, const std::function<void(llvm::Value*, const std::vector<llvm::Value*>&)>& body) {
    Emitter& e = f.e;
    const std::int64_t group = static_cast<std::int64_t>(vectors) * e.width, full = N / group;
    if (full > 0)
      e.loop(0, full, [&](llvm::Value* q) { body(e.mul(q, group), std::vector<llvm::Value*>(static_cast<std::size_t>(vectors), nullptr)); });
    const std::int64_t rest = N - full * group;
    if (rest == 0) return;
    std::vector<llvm::Value*> masks;
    for (std::int64_t c = 0; c * e.width < rest; ++c)
      masks.push_back((c + 1) * e.width <= rest ? nullptr : e.first_lanes(e.width, rest - c * e.width));
    body(e.c64(full * group), masks);
  }

  /// Column vectors per block: four (each step then feeds rows x 4
  /// multiply-adds from 4 loads of b and `rows` of a), fewer when a
  /// transposed b's packed tiles would not fit.
  int column_vectors() const {
    if (!n.attrs.trans_b) return 4;
    return static_cast<int>(std::clamp<std::int64_t>(kMaxTileBytes / (packed() * 4), 1, 4));
  }

  /// a_tile[r][k] = a(row(r), k) for r < rows: bytes widened as they load.
  void widen_rows(const std::function<llvm::Value*(std::int64_t)>& row, int rows) {
    Emitter& e = f.e;
    for (int r = 0; r < rows; ++r)
      e.vector_loop(e.c64(0), e.c64(K), K % e.width == 0, [&](llvm::Value* k, llvm::Value* mask) {
        e.vstore(e.vload(a, e.mad(row(r), K, k), e.width, mask), a_tile, e.add(k, r * K), mask);
      });
  }

  /// Rows per block: as many as the accumulator registers allow.
  int row_block(std::size_t vectors) const {
    return std::max(1, std::min(kRowBlock, accumulator_budget(f.e) / static_cast<int>(vectors)));
  }
};

}  // namespace

void emit_matmul(KernelFrame& f, RowRange rows) {
  Emitter& e = f.e;
  Gemm g(f, f.kernel.nodes.front());
  Epilogue epilogue(f);
  if (g.n.attrs.trans_b && g.packed() * 4 > kMaxTileBytes) throw std::logic_error("matmul: transposed operand too large to pack");
  auto columns = [&](const std::function<llvm::Value*(std::int64_t)>& row, int R, llvm::Value* j0,
                     const std::vector<llvm::Value*>& masks) {
    const auto acc = g.block(row, R, j0, masks, e.c64(0), e.c64(g.K));
    for (std::size_t c = 0; c < masks.size(); ++c) {
      llvm::Value* jc = e.add(j0, static_cast<std::int64_t>(c) * e.width);
      std::vector<llvm::Value*> column, flats;
      for (int r = 0; r < R; ++r) column.push_back(acc[r][c]), flats.push_back(e.mad(row(r), g.N, jc));
      epilogue.finish_block(column, flats, jc, masks[c]);
    }
  };
  const int R4 = g.row_block(static_cast<std::size_t>(g.column_vectors()));
  if (!g.n.attrs.trans_b && e.pixel_map(g.a) && g.K * R4 * 4 <= kMaxTileBytes) {
    // Pixel bytes: each block of rows widened once, then every column block.
    g.a_tile = e.local(e.f32, g.K * R4);
    e.blocks(rows.first, rows.last, R4, [&](const std::function<llvm::Value*(std::int64_t)>& row) {
      g.widen_rows(row, R4);
      g.for_each_column_group(g.column_vectors(), [&](llvm::Value* j0, const std::vector<llvm::Value*>& masks) {
        columns(row, R4, j0, masks);
      });
    });
    return;
  }
  g.for_each_column_group(g.column_vectors(), [&](llvm::Value* j0, const std::vector<llvm::Value*>& masks) {
    for (std::size_t c = 0; g.n.attrs.trans_b && c < masks.size(); ++c) g.pack(j0, static_cast<std::int64_t>(c), e.c64(0), e.c64(g.K));
    const int R = g.row_block(masks.size());
    e.blocks(rows.first, rows.last, R, [&](const std::function<llvm::Value*(std::int64_t)>& row) { columns(row, R, j0, masks); });
  });
}

void emit_matmul_partial(KernelFrame& f, ir::NodeId id, RowRange rows) {
  // part (M,N) = sum over the thread's k of a[k,i] * op(b)(k,j).
  Emitter& e = f.e;
  Gemm g(f, id);
  llvm::Value* part = f.scratch(id, f.tid);
  if (g.n.attrs.trans_b && g.packed() * 4 > kMaxTileBytes) throw std::logic_error("matmul: transposed operand too large to pack");
  g.for_each_column_group(g.column_vectors(), [&](llvm::Value* j0, const std::vector<llvm::Value*>& masks) {
    for (std::size_t c = 0; g.n.attrs.trans_b && c < masks.size(); ++c) g.pack(j0, static_cast<std::int64_t>(c), rows.first, rows.last);
    const int R = g.row_block(masks.size());
    e.blocks(e.c64(0), e.c64(g.M), R, [&](const std::function<llvm::Value*(std::int64_t)>& row) {
      const auto acc = g.block(row, R, j0, masks, rows.first, rows.last);
      for (int r = 0; r < R; ++r)
        for (std::size_t c = 0; c < masks.size(); ++c)
          e.vstore(acc[r][c], part, e.mad(row(r), g.N, e.add(j0, static_cast<std::int64_t>(c) * e.width)), masks[c]);
    });
  });
}

}  // namespace tl::codegen
