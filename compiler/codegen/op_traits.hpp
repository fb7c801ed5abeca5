// What the planner knows of each node's kernel, decided by the node's
// category in one switch (kernel_traits): how it shares work between threads,
// which inputs it reads only at the rows a thread owns, which may be generated
// where they are read, how much scratch its partial sums take, whether its
// values stream through an epilogue, its rough work, and which input its rows
// (the batch axis) come from. Private to the planner (compiler/codegen/*.cpp).
#pragma once

#include <cstdint>

#include "compiler/codegen/step_plan.hpp"

namespace tl::codegen {

struct OpSplit {
  Split split = Split::Rows;
  std::int64_t extent = 1;
  std::int64_t out_extent = 1;
};

struct KernelTraits {
  bool has_kernel = true;        ///< false for bound tensors and reshapes (aliases)
  OpSplit split;                 ///< how threads share the kernel's work
  std::int64_t scratch = 0;      ///< Reduce: bytes of one thread's partial sums
  std::int64_t buffer = 0;       ///< other kernels: bytes of one thread's work buffer (conv2d_grad_input's packed kernel)
  bool streams = false;          ///< values pass through an epilogue (see streams_values)
  std::int64_t work = 0;         ///< rough multiply-add count
  int row_source = -1;           ///< the input whose rows are the node's rows, or -1
  std::uint32_t aligned = 0;     ///< bit i: input i is read only at the thread's rows
  std::uint32_t generated = 0;   ///< bit i: input i is read through an element accessor
  std::uint32_t generated_here = 0;  ///< bit i: ... at the consumer's own element only
};

/// The traits of `node`'s kernel.
KernelTraits kernel_traits(const ir::Graph& graph, const ir::Node& node);

/// Leading extent of a shape (1 for a scalar).
inline std::int64_t leading(const ir::Shape& s) { return s.empty() ? 1 : s[0]; }

/// Pre: `node` computes (not a leaf, not a Reshape).
OpSplit op_split(const ir::Graph& graph, const ir::Node& node);

/// True when the kernel reads input `i` only at rows [range of op_split.extent)
/// of its leading axis, which then has op_split.extent rows.
bool reads_aligned(const ir::Graph& graph, const ir::Node& node, std::size_t i);

/// Per-thread scratch of a kernel, in bytes: a Reduce kernel's partial sums,
/// or another's work buffer.
std::int64_t scratch_bytes(const ir::Graph& graph, const ir::Node& node);

/// True when the codegen emits `op` as a root whose values pass through an
/// epilogue (so elementwise consumers can fuse into it and the root itself
/// need not be stored); false for roots that write their output directly.
bool streams_values(const ir::Graph& graph, const ir::Node& node);

/// True when `consumer` reads its input `i` only through an element accessor
/// that can generate a Fill (any element) or, for `per_element`, a dropout
/// mask (the element at the consumer's own index).
bool reads_generated(const ir::Graph& graph, const ir::Node& consumer, std::size_t i, bool per_element);

/// Rough multiply-add count of the op (to decide whether threads pay off).
std::int64_t op_work(const ir::Graph& graph, const ir::Node& node);

}  // namespace tl::codegen
