// The graph IR: one static dataflow graph per step kind (train, eval, predict).
// Every op is defined once in ops.def (op_table.hpp), every attribute once in
// attrs.def (attrs.hpp). Nodes are appended in topological order
// (an input always has a smaller id than its user), so executors run nodes in
// id order. Shapes are static and include the batch dimension.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/attrs.hpp"
#include "compiler/ir/op_table.hpp"

namespace tl::ir {

using Shape = std::vector<std::int64_t>;
std::int64_t element_count(const Shape& shape);
std::string to_string(const Shape& shape);

using NodeId = std::int32_t;

/// Geometry of a sliding window (conv or pooling) along one spatial axis.
///   valid:    out = (in - k) / s + 1, no padding (requires in >= k).
///   same:     out = ceil(in / s); TF pads pad_total = max((out - 1) * s + k - in, 0)
///             cells, pad_before = pad_total / 2 before and the rest after, so an
///             odd total puts the extra cell at the bottom/right.
///   explicit: `before` and `after` cells (each less than k):
///             out = (before + in + after - k) / s + 1 (ONNX, PyTorch).
/// Padded cells are zeros for conv and are skipped by pooling (TF semantics).
struct WindowAxis {
  std::int64_t out = 0;
  std::int64_t pad_before = 0;
};
WindowAxis window_axis(std::int64_t in, std::int64_t k, std::int64_t s, Padding padding, std::int64_t before = 0,
                       std::int64_t after = 0);
/// The cells a window of k taps spans when its taps are `dilation` apart.
inline std::int64_t dilated_span(std::int64_t k, std::int64_t dilation) { return dilation * (k - 1) + 1; }
/// The rows (height) and columns (width) axes of a window op's attributes,
/// for a window of k taps (spread by the attributes' dilation).
WindowAxis window_rows(const Attrs& a, std::int64_t in, std::int64_t k);
WindowAxis window_cols(const Attrs& a, std::int64_t in, std::int64_t k);

/// Where a node came from in the user's script (0 when synthesised).
struct Origin {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

struct Node {
  OpKind op;
  std::vector<NodeId> inputs;
  Shape shape;
  Attrs attrs;
  /// Param/State: the tensor's persistent name ("dense/kernel",
  /// "dense/kernel/adam_m"); elsewhere a readable label for dumps.
  std::string name;
  Origin origin;
};

/// A static graph plus its named outputs. Update nodes (AdamUpdate,
/// SgdUpdate, MovingAverage) write their new value back to their first input
/// (a Param or State) after the step; they are listed in `effects`.
class Graph {
 public:
  /// Appends `node` and returns its id. Its inputs must already be in the
  /// graph. An empty node.shape is filled in by infer_shape; a given shape
  /// must agree with it. Throws std::logic_error on a bad arity, a forward
  /// reference or a shape the op's rule rejects.
  NodeId add(Node node);
  const Node& node(NodeId id) const { return nodes_[static_cast<std::size_t>(id)]; }
  Node& node(NodeId id) { return nodes_[static_cast<std::size_t>(id)]; }
  std::size_t size() const { return nodes_.size(); }
  const std::vector<Node>& nodes() const { return nodes_; }

  void set_output(std::string name, NodeId id);
  /// The node bound to an output name, or -1.
  NodeId output(std::string_view name) const;
  const std::vector<std::pair<std::string, NodeId>>& outputs() const { return outputs_; }

  void add_effect(NodeId id) { effects_.push_back(id); }
  const std::vector<NodeId>& effects() const { return effects_; }

  /// The Param or State node with this persistent name, or -1.
  NodeId find_variable(std::string_view name) const;

 private:
  std::vector<Node> nodes_;
  std::vector<std::pair<std::string, NodeId>> outputs_;
  std::vector<NodeId> effects_;
};

/// Checks arity, topological order and the shape rule of every node; throws
/// std::logic_error naming the node on the first violation (a compiler bug,
/// never a user error).
void verify(const Graph& graph);

/// Infers the output shape of `node` from its inputs' shapes (and attrs, for
/// leaves and reshapes the node's own shape is returned). Used by the builder
/// and by verify. Ops whose shape can't be derived from their inputs carry it
/// and have it validated instead: leaves, Reshape, ChannelBroadcast,
/// Conv2DGradInput and AvgPool2DGrad (an input size is ambiguous under
/// strides). Conv2D takes its window from the kernel; Conv2DGradFilter from
/// attrs.window_*. Throws std::logic_error naming the node on a violation.
Shape infer_shape(const Graph& graph, const Node& node);

/// Human-readable dump, one node per line: `%3 = conv2d(%1, %2) : (64,26,26,10)`.
std::string print(const Graph& graph);

}  // namespace tl::ir
