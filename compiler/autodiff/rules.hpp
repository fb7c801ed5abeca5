// Private to autodiff: the interface between the backward sweep
// (autodiff.cpp) and the table of per-op adjoint rules (rules.cpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compiler/ir/graph.hpp"

namespace tl::autodiff {

/// One application of an adjoint rule: the forward node (a copy, since adding
/// nodes may move the graph's storage), the adjoint `g` of its output, and which
/// inputs need a gradient. A rule emits backward nodes and gives each needed
/// input its contribution.
class Rule {
 public:
  Rule(ir::Graph& graph, ir::NodeId self, ir::NodeId g, std::vector<bool> needed);

  const ir::Node& node() const { return node_; }
  ir::NodeId self() const { return self_; }
  ir::NodeId g() const { return g_; }
  ir::NodeId input(std::size_t i) const { return node_.inputs[i]; }
  const ir::Shape& shape_of(ir::NodeId id) const { return graph_.node(id).shape; }

  /// Appends a backward node carrying the forward node's origin.
  ir::NodeId emit(ir::OpKind op, std::vector<ir::NodeId> inputs, ir::Attrs attrs = {}, ir::Shape shape = {});

  /// If input i needs a gradient, builds its contribution and records it; a
  /// node the rule built for it is renamed "grad/<input's name>".
  void give(std::size_t i, const std::function<ir::NodeId()>& build);

  /// Contribution per input, -1 where none.
  const std::vector<ir::NodeId>& contributions() const { return contributions_; }

 private:
  ir::Graph& graph_;
  ir::NodeId self_;
  ir::Node node_;
  ir::NodeId g_;
  std::vector<bool> needed_;
  std::vector<ir::NodeId> contributions_;
  ir::NodeId first_new_;
};

/// "grad/<name>" for a forward value, falling back to its id when unnamed.
std::string grad_name(const ir::Graph& graph, ir::NodeId id);

/// Applies the adjoint rule of `rule.node().op`.
void apply_rule(Rule& rule);

}  // namespace tl::autodiff
