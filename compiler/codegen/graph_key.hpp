// The structural identity of a graph, the key of the compiled-step cache: two
// graphs with equal keys compile to the same code. It covers ops, inputs,
// shapes, attributes, outputs and effects, but not names: a compiled step
// binds its leaves by the names of the graph it is run with. Only the pattern
// of names matters (which leaves share one), so that is included. Nor does it
// cover the batch size when the batch axis is unambiguous (batch_axis.hpp):
// such steps take it at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "compiler/ir/graph.hpp"

namespace tl::codegen {

struct GraphKey {
  std::vector<std::uint64_t> words;
  std::uint64_t hash = 0;
  bool operator==(const GraphKey& other) const { return hash == other.hash && words == other.words; }
};

GraphKey graph_key(const ir::Graph& graph);

struct GraphKeyHash {
  std::size_t operator()(const GraphKey& key) const { return static_cast<std::size_t>(key.hash); }
};

}  // namespace tl::codegen
