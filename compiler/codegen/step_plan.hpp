// The plan of a compiled step, computed from the graph before any LLVM code
// exists: which nodes run together in which kernel (fusion), the order of
// the kernels' passes, how each pass splits its work between threads, where
// barriers go, and where every value lives (a leaf tensor, the arena, or
// nowhere when it never leaves its kernel). The codegen follows the plan;
// `tlc --emit=fused` prints it.
//
// Threads run every pass in order (SPMD). A pass splits the leading axis of
// its output (Rows) or of its input (Reduce) into one contiguous range of
// rows per thread, so two passes over the same rows of the same buffer need
// no barrier between them: a thread only reads the rows it wrote itself. A
// Reduce node sums its rows into per-thread scratch in its kernel's main
// pass; a later combine pass adds the threads' partials in thread order, so a
// run is repeatable for a given thread count. Combines are scheduled as late
// as possible, so they share barriers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/graph.hpp"

namespace tl::codegen {

/// Thread `tid` of `threads` owns rows [extent * tid / threads, extent * (tid + 1) / threads).
enum class Split : std::uint8_t {
  Rows,    ///< each thread computes its rows of the output's leading axis
  Reduce,  ///< each thread sums its rows of the input; the combine splits the output's rows
  Single,  ///< thread 0 alone (a host call between kernels: a collective); it touches whole buffers
};

/// What a kernel computes; the codegen has one emitter per kind.
enum class KernelKind : std::uint8_t {
  Op,        ///< a root node, then the elementwise nodes fused into its epilogue (nodes[1..])
  ConvPool,  ///< a conv (with its chain) whose output goes straight into a max pool (the last node)
  PoolGrads, ///< a max-pool gradient (from the saved argmax) and the channel sums and conv filter
             ///< gradients of it, which take its values from registers
  LossHead,  ///< softmax, cross-entropy, its gradient and accuracy of one (scores, labels) pair
  Updates,   ///< every optimizer update and moving average, one pass each, no barrier between
};

struct Kernel {
  KernelKind kind = KernelKind::Op;
  std::vector<ir::NodeId> nodes;  ///< Op: the root first, then its chain in order
};

/// One function of the step: a kernel's main pass, or the combine of its
/// Reduce nodes' partial sums.
struct Pass {
  int kernel = 0;
  bool combine = false;
  bool barrier_before = false;
  int phase = 0;  ///< barrier-delimited phase it runs in
};

enum class StorageKind : std::uint8_t {
  None,       ///< never materialised (fused away, or generated where it is read)
  Leaf,       ///< a bound tensor: an Input, Param or State (also in-place updates)
  Arena,      ///< the executor's arena, at `offset`
  Generated,  ///< a Fill or DropoutMask, computed wherever it is read
};

struct Storage {
  StorageKind kind = StorageKind::None;
  int leaf = -1;            ///< Leaf: slot in StepArgs::tensors
  std::int64_t offset = 0;  ///< Arena: byte offset
};

/// How a step's feeds arrive. Part of the compiled-step cache key.
struct StepOptions {
  /// The Images input arrives as the dataset's bytes, with its pixel map in
  /// StepArgs::scalars[StepPlan::image_scale] and [StepPlan::image_offset]:
  /// every kernel that reads it loads bytes and computes
  /// float(byte) * scale + offset as it loads (the pixel map fused into the
  /// first layer's load; the batch is never widened to floats).
  bool byte_images = false;
  bool operator==(const StepOptions&) const = default;
};

struct StepPlan {
  StepOptions options;
  std::vector<Kernel> kernels;
  std::vector<Pass> passes;             ///< execution order
  std::vector<int> kernel_of;           ///< node -> kernel index; -1 for leaves, reshapes, generated nodes
  std::vector<ir::NodeId> alias_of;     ///< node -> node that owns its memory (reshapes, in-place updates)
  std::vector<ir::NodeId> leaves;       ///< leaf slot -> Input/Param/State node
  std::vector<Storage> storage;         ///< node -> where its value lives (read through alias_of)
  std::vector<std::vector<Storage>> new_slots;  ///< update node -> its new optimizer slots
  std::vector<std::int64_t> scratch_of; ///< Reduce node -> its partials' offset in a thread's scratch
  std::vector<Storage> argmax;          ///< MaxPool2D node -> where it saves each window's argmax (int32)
  std::vector<ir::NodeId> argmax_of;    ///< MaxPool2DGrad node -> the MaxPool2D whose argmax it uses, or -1
  std::vector<int> scalar_of;           ///< update taking step scalars (ir::step_scalar_count of them, consecutive) -> index of the first in StepArgs::scalars, else -1
  int scalar_count = 0;
  int byte_leaf = -1;                   ///< options.byte_images: the Images input's leaf slot, else -1
  int image_scale = -1;                 ///< options.byte_images: the pixel scale's index in StepArgs::scalars
  int image_offset = -1;                ///< options.byte_images: the pixel offset's index in StepArgs::scalars
  std::int64_t arena_bytes = 0;
  std::int64_t scratch_stride = 0;      ///< per-thread scratch bytes (multiple of 64)
  int phases = 1;
  std::int64_t batch = 0;               ///< leading extent of the Input nodes (0 when none)
  std::vector<bool> batched;            ///< node -> leading axis is the batch; empty: exact shapes
                                        ///< (batched: the run's batch may be any size up to `batch`)
  std::int64_t work = 0;                ///< rough multiply-add count of one run

  const Storage& where(ir::NodeId id) const {
    return storage[static_cast<std::size_t>(alias_of[static_cast<std::size_t>(id)])];
  }
  bool generated(ir::NodeId id) const { return where(id).kind == StorageKind::Generated; }
};

/// Pre: ir::verify(graph) passes. The plan depends only on graph_key(graph)
/// and `options`.
StepPlan plan_step(const ir::Graph& graph, const StepOptions& options = {});

/// `tlc --emit=fused`: one line per pass with its kernel's members and storage.
std::string describe(const StepPlan& plan, const ir::Graph& graph);
/// A short name of pass `index`: "conv2d+bias_add", "matmul combine".
std::string pass_label(const StepPlan& plan, const ir::Graph& graph, std::size_t index);

// --- pieces of plan_step, in the order it runs them ---------------------------

/// 1. One kernel per computing node; reshapes become aliases.
void form_kernels(const ir::Graph& graph, StepPlan& plan);
/// 2. Fills and dropout masks read only elementwise become generated values;
///    elementwise chains join their producer's kernel; a max pool saves its
///    argmax for its gradient and joins the conv feeding it; the loss ops of
///    one (scores, labels) pair share a kernel; all updates share one kernel.
void fuse(const ir::Graph& graph, StepPlan& plan);
/// 3. Passes: a main pass per kernel, each combine moved as late as its
///    readers allow.
void schedule(const ir::Graph& graph, StepPlan& plan);
/// 4. Storage of every node: in-place updates, barriers, arena offsets by
///    phase liveness, scratch of Reduce nodes.
void place_buffers(const ir::Graph& graph, StepPlan& plan);

/// How an Op kernel adds up its sinks (channel sums and means of its members,
/// fusion.cpp): in its epilogue (an elementwise root walked row by row,
/// channel vector by channel vector; conv2d and its input gradient, whose
/// blocks of pixels say which pixels an earlier block already finished), or
/// chunk by chunk of the rows after the root's emitter has written them
/// (depthwise convolutions, whose emitters may visit a pixel twice). None:
/// sinks do not join it.
enum class SinkMode : std::uint8_t { None, Epilogue, Chunks };
SinkMode sink_mode(const StepPlan& plan, const ir::Graph& graph, const Kernel& kernel);
/// True when the root `id` of an Op kernel passes its values through an
/// epilogue: the ops that always do (streams_values), and a max pool's
/// gradient from the saved argmax over windows that tile its input (every
/// cell written once).
bool root_streams(const StepPlan& plan, const ir::Graph& graph, ir::NodeId id);
/// True when `id` is a sink of its kernel: a Reduce member that is not the root.
bool is_sink(const StepPlan& plan, const ir::Graph& graph, ir::NodeId id);

/// True when a graph node reads input `i` (a MaxPool2DGrad's x is not read
/// when the pool's saved argmax serves it).
bool reads_input(const StepPlan& plan, const ir::Graph& graph, ir::NodeId node, std::size_t i);

/// Buffer ids for barrier analysis beyond the graph's nodes.
inline ir::NodeId scratch_buffer(ir::NodeId n) { return -(n + 2); }
inline ir::NodeId argmax_buffer(const ir::Graph& g, ir::NodeId n) {
  return -(n + 2) - static_cast<ir::NodeId>(g.size());
}

}  // namespace tl::codegen
