// Serialises a graph's structure into words and hashes them (FNV-1a over
// the words); see graph_key.hpp.
#include "compiler/codegen/graph_key.hpp"

#include <string_view>
#include <unordered_map>

#include "compiler/codegen/batch_axis.hpp"

namespace tl::codegen {

namespace {

/// Every attribute of attrs.def, whether or not the op reads it: a new
/// attribute can't be left out of the key.
void append_attrs(std::vector<std::uint64_t>& w, const ir::Attrs& a) {
  ir::for_each_attr(a, [&](ir::AttrId, const auto& value) { w.push_back(ir::attr_word(value)); });
}

}  // namespace

GraphKey graph_key(const ir::Graph& graph) {
  GraphKey key;
  std::vector<std::uint64_t>& w = key.words;
  w.reserve(graph.size() * 28 + 16);
  std::unordered_map<std::string_view, std::uint64_t> first_leaf;  // name -> id of its first leaf
  const std::vector<bool> batched = batched_nodes(graph);
  constexpr std::uint64_t kBatch = ~0ull - 1;  // stands for the batch size
  w.push_back(batched.empty() ? 0 : 1);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const ir::Node& n = graph.node(static_cast<ir::NodeId>(i));
    w.push_back(static_cast<std::uint64_t>(n.op));
    w.push_back(n.inputs.size());
    for (ir::NodeId in : n.inputs) w.push_back(static_cast<std::uint64_t>(in));
    w.push_back(n.shape.size());
    for (std::size_t d = 0; d < n.shape.size(); ++d)
      w.push_back(d == 0 && !batched.empty() && batched[i] ? kBatch : static_cast<std::uint64_t>(n.shape[d]));
    append_attrs(w, n.attrs);
    if (n.op == ir::OpKind::Param || n.op == ir::OpKind::State || n.op == ir::OpKind::Input)
      w.push_back(first_leaf.emplace(n.name, i).first->second);
  }
  w.push_back(~0ull);
  for (const auto& [name, id] : graph.outputs()) w.push_back(static_cast<std::uint64_t>(id));
  w.push_back(~0ull);
  for (ir::NodeId id : graph.effects()) w.push_back(static_cast<std::uint64_t>(id));
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint64_t word : w) h = (h ^ word) * 0x100000001b3ull;
  key.hash = h;
  return key;
}

}  // namespace tl::codegen
