// What an op emitter sees while it fills one pass function: the graph, the
// plan, the kernel's buffers (one noalias pointer parameter per distinct
// memory) and the thread's identity; the epilogue that carries a root's
// values through its fused chain; and one emitter per op family
// (emit_*.cpp), which emit_step.cpp dispatches to.
#pragma once

#include <array>
#include <map>
#include <utility>

#include "compiler/codegen/emitter.hpp"
#include "compiler/codegen/step_abi.hpp"
#include "compiler/codegen/step_plan.hpp"

namespace tl::codegen {

/// Identity of a buffer: (kind, leaf slot or arena offset).
using BufferKey = std::pair<int, std::int64_t>;
inline BufferKey key_of(const Storage& s) {
  return {static_cast<int>(s.kind), s.kind == StorageKind::Leaf ? s.leaf : s.offset};
}

struct KernelFrame {
  Emitter& e;
  const ir::Graph& graph;
  const StepPlan& plan;
  const Kernel& kernel;
  llvm::Value* args = nullptr;     ///< const StepArgs*
  llvm::Value* tid = nullptr;      ///< i64
  llvm::Value* threads = nullptr;  ///< i64
  std::map<BufferKey, llvm::Value*> buffers;
  /// Where the kernel's scratch starts in a thread's (an i64 parameter, so
  /// that kernels alike compile to one function), and the plan's offset it
  /// stands for: node n's scratch is at scratch_base + scratch_of[n] - scratch_first.
  llvm::Value* scratch_base = nullptr;
  std::int64_t scratch_first = 0;

  const ir::Node& node(ir::NodeId id) const { return graph.node(id); }
  const ir::Shape& shape(ir::NodeId id) const { return graph.node(id).shape; }
  /// Pointer to the value of node `id` (through reshapes and in-place updates);
  /// null when the value is not in memory.
  llvm::Value* ptr(ir::NodeId id) const;
  /// Pointer to the new optimizer slot `s` of update `id`, or null when it is not kept.
  llvm::Value* new_slot(ir::NodeId id, std::size_t s) const;
  /// A StepArgs field.
  llvm::Value* arg(StepSlot slot, llvm::Type* type) const;
  /// Where max pool `pool` saves its argmax (int32 ordinals within the window).
  llvm::Value* argmax(ir::NodeId pool) const;
  /// Reduce node `id`'s partial sums in the scratch of `thread` (an i64).
  llvm::Value* scratch(ir::NodeId id, llvm::Value* thread) const;
  /// `lanes` elements of node `id` from flat index `flat`: loaded, or
  /// generated for a Fill or dropout mask.
  llvm::Value* element(ir::NodeId id, llvm::Value* flat, int lanes, llvm::Value* mask);
  /// The thread's rows of `extent` (a constant).
  RowRange rows(std::int64_t extent) { return thread_rows(e, e.c64(extent), tid, threads); }
  /// True when node `id`'s leading axis is the batch (its size is StepArgs::batch).
  bool batched(ir::NodeId id) const {
    return !plan.batched.empty() && plan.batched[static_cast<std::size_t>(plan.alias_of[static_cast<std::size_t>(id)])];
  }
  /// Node `id`'s leading extent: the run's batch size when batched, else its shape's.
  llvm::Value* leading_extent(ir::NodeId id) const;
  /// The thread's rows of the axis node `id` splits (op_split): its output's
  /// leading axis for Rows, its first input's for Reduce.
  RowRange split_rows(ir::NodeId id);
};

/// Carries a root's values through the kernel's fused chain (kernel.nodes[1..]
/// of an Op kernel), storing every member that lives in memory. Runs of
/// `lanes` contiguous elements never cross the end of a row of channels.
class Epilogue {
 public:
  /// The kernel's chain: its members but the sinks. Sinks added up in the
  /// epilogue (SinkMode::Epilogue) start at zero here; close() writes them.
  explicit Epilogue(KernelFrame& f);
  /// A chain other than the kernel's: `chain[0]` produces the values.
  Epilogue(KernelFrame& f, std::vector<ir::NodeId> chain) : f_(f), chain_(std::move(chain)) {}
  /// `v`: the root's value at elements [flat, flat + lanes) whose first lane is
  /// channel `channel` (an i64) of the last axis; `mask` the active lanes.
  void finish(llvm::Value* v, llvm::Value* flat, llvm::Value* channel, llvm::Value* mask) { apply(v, flat, channel, mask); }
  /// finish(), returning the last member's value. `fresh` (an i1, null:
  /// true) says whether the sinks add this run: false for runs an earlier
  /// block already finished (Emitter::counted_blocks).
  llvm::Value* apply(llvm::Value* v, llvm::Value* flat, llvm::Value* channel, llvm::Value* mask, llvm::Value* fresh = nullptr);
  /// finish() for a block of accumulators: block[q] is the run at flats[q]
  /// (fresh[q] as in apply(); empty: all fresh). With a fused chain the
  /// block is parked in a stack tile and finished in a loop, so the chain's
  /// code is emitted once rather than per accumulator.
  void finish_block(const std::vector<llvm::Value*>& block, const std::vector<llvm::Value*>& flats, llvm::Value* channel,
                    llvm::Value* mask, const std::vector<llvm::Value*>& fresh = {});
  /// Asks the cache for what finish() at `flat` will read from memory (the
  /// members' element operands) and write (their outputs): issued a block
  /// ahead of its epilogue, the loads of a streamed operand come from cache.
  void prefetch(llvm::Value* flat);
  /// True when some member needs the channel index (per-channel operands),
  /// or the kernel has sinks (summed per channel vector).
  bool per_channel() const;
  /// After the last finish(): the sinks' sums to the thread's scratch.
  void close();

 private:
  /// A sink's accumulator for the channel vector starting at `channel`.
  Emitter::Var& sum(std::size_t sink, llvm::Value* channel);

  KernelFrame& f_;
  std::vector<ir::NodeId> chain_;
  std::vector<ir::NodeId> sinks_;  ///< channel sums and means of members, added up here
  std::vector<std::vector<Emitter::Var>> sums_;  ///< sink -> one double vector per channel vector
};

/// Adds Reduce node `id`'s input over `rows` to the thread's partial sums:
/// starting from zero, or from what its scratch holds (`resume`, when a
/// kernel sums its output chunk by chunk).
void emit_channel_sums(KernelFrame& f, ir::NodeId id, RowRange rows, bool resume);

/// 1 / rows of channel_spread `id` (rows counted at run time for a
/// batch-generic step, so one compiled step serves every batch size), as the
/// float a Scale by 1.0 / rows would multiply with, in `lanes` lanes.
llvm::Value* spread_factor(KernelFrame& f, ir::NodeId id, int lanes);

/// The value of elementwise op `n` for operand values a (and c), scalar or vector.
llvm::Value* elementwise_value(Emitter& e, const ir::Node& n, llvm::Value* a, llvm::Value* c);

/// Element values of a dropout mask at indices [flat, flat + lanes).
llvm::Value* dropout_values(KernelFrame& f, const ir::Node& n, llvm::Value* flat, int lanes);
/// A Generator's values at [flat, flat + lanes): a Fill's constant or a dropout mask's draws.
llvm::Value* generated_values(KernelFrame& f, const ir::Node& n, llvm::Value* flat, int lanes);

/// Philox4x32-10 in IR, identical to rng::draw, lane by lane: the four words
/// for (seed, stream, hi, lo) where `lo` (i32 or <L x i32>) sets the lanes.
std::array<llvm::Value*, 4> emit_philox(Emitter& e, llvm::Value* seed, std::uint64_t stream, llvm::Value* hi,
                                        llvm::Value* lo);

// --- per family (emit_*.cpp); rows are the thread's rows of the kernel ---------
void emit_elementwise(KernelFrame& f, RowRange rows);  // Op kernels rooted at an elementwise op, fill, broadcast, mask
void emit_channel_block(KernelFrame& f, RowRange rows);  // concat, slice_channels, pad_channels
void emit_collective(KernelFrame& f);                    // process_mean: a host call on thread 0
void emit_matmul(KernelFrame& f, RowRange rows);       // !trans_a: rows of the output, with epilogue
void emit_matmul_partial(KernelFrame& f, ir::NodeId id, RowRange rows);  // trans_a: sum over rows of a
void emit_conv(KernelFrame& f, RowRange rows);            // with epilogue
void emit_conv_pool(KernelFrame& f, RowRange rows);       // ConvPool kernels and non-overlapping max pools
void emit_max_pool_grad_argmax(KernelFrame& f, RowRange rows);  // from the saved argmax
void emit_pool_grads(KernelFrame& f, RowRange rows);            // PoolGrads kernels
/// Conv geometry and the accumulation of output pixels (emit_conv.cpp).
/// Vector registers a register-blocked kernel keeps as accumulators: 24 of
/// AVX-512's 32, 12 of AVX2's 16.
inline int accumulator_budget(const Emitter& e) { return e.width >= 16 ? 24 : 12; }
/// Vector registers kept for a block of output pixels' accumulators in conv,
/// its input gradient and conv-pool: 16 of AVX-512's 32 (8 pixels of 32
/// channels; with more, LLVM spilled: the tap's broadcasts need registers
/// too), 12 of AVX2's 16.
inline int pixel_accumulators(const Emitter& e) { return e.width >= 16 ? 16 : 12; }

struct ConvShape {
  std::int64_t B, H, W, I, OH, OW, O, KH, KW, SH, SW, PH, PW, DH, DW;  // DH, DW: the taps' spacing (dilation)
  bool padded;
  ConvShape(const ir::Shape& x, const ir::Shape& w, const ir::Attrs& a);
  std::int64_t vectors(int width) const { return (O + width - 1) / width; }
};
/// acc[p][v]: output pixel p = (oh, ow) of image b, channel vector v, summed
/// over the taps in (kh, kw, ci) order with fused multiply-adds.
std::vector<std::vector<llvm::Value*>> conv_pixels(KernelFrame& f, const ConvShape& c, llvm::Value* x, llvm::Value* w,
                                                   llvm::Value* b,
                                                   const std::vector<std::pair<llvm::Value*, llvm::Value*>>& pixels);
/// Where a conv reads image `b` of its input x: through `base` as image
/// `image`. For a float x that is (x, b). A byte-fed x (the images) is first
/// widened, one vector of bytes at a time, into a stack tile of one image
/// (float(byte) * scale + offset), and read as image 0 of the tile: the taps then load
/// floats, and each pixel is converted once per image rather than per tap.
struct ConvImage {
  llvm::Value* base;
  llvm::Value* image;
};
ConvImage conv_image(KernelFrame& f, const ConvShape& c, llvm::Value* x, llvm::Value* b);
void emit_conv_grad_input(KernelFrame& f, RowRange rows);  // with epilogue
/// For the gradient of a window op: whether input position i is read by tap
/// k of some output o (i + pad - k = o * stride, 0 <= o < outs), with o set.
llvm::Value* tap_source(Emitter& e, llvm::Value* i, llvm::Value* k, std::int64_t pad, std::int64_t stride,
                        std::int64_t outs, llvm::Value*& o);
void emit_conv_grad_filter_partial(KernelFrame& f, ir::NodeId id, RowRange rows);
/// Depthwise convolution and its gradients (emit_depthwise.cpp).
void emit_depthwise_conv(KernelFrame& f, RowRange rows);             // with epilogue
void emit_depthwise_conv_grad_input(KernelFrame& f, RowRange rows);  // with epilogue
void emit_depthwise_conv_grad_filter_partial(KernelFrame& f, ir::NodeId id, RowRange rows);
void emit_pool(KernelFrame& f, RowRange rows);  // max/avg/global pooling (epilogue) and their gradients
void emit_softmax_rows(KernelFrame& f, ir::NodeId id, RowRange rows);
void emit_softmax_grad_rows(KernelFrame& f, ir::NodeId id, RowRange rows);
void emit_channel_partial(KernelFrame& f, ir::NodeId id, RowRange rows);
void emit_loss_head(KernelFrame& f, RowRange rows);  // a LossHead kernel, or one loss op
void emit_update(KernelFrame& f, ir::NodeId id, RowRange rows);
/// Writes rows [rows.first, rows.last) of Reduce node `id` (rows of its
/// out_extent) from the threads' partials, added in thread order.
void emit_combine(KernelFrame& f, ir::NodeId id, RowRange rows);

}  // namespace tl::codegen
