// Attributes are declared once (compiler/ir/attrs.def): the cache key, the
// printer and equality derive from the declaration. Changing any attribute,
// including one added later, must change the compiled-step cache key, or two
// different graphs would share one compiled kernel.
#include <doctest/doctest.h>

#include <string>

#include "compiler/codegen/graph_key.hpp"
#include "compiler/ir/graph.hpp"

namespace {

using namespace tl;
using ir::AttrId;
using ir::OpKind;

// A value different from `v`, per attribute type.
int changed(int v) { return v + 1; }
bool changed(bool v) { return !v; }
double changed(double v) { return v + 0.25; }
std::uint64_t changed(std::uint64_t v) { return v + 1; }
ir::Padding changed(ir::Padding v) { return v == ir::Padding::Valid ? ir::Padding::Same : ir::Padding::Valid; }
ir::InputRole changed(ir::InputRole v) {
  return v == ir::InputRole::Images ? ir::InputRole::Labels : ir::InputRole::Images;
}

/// A graph of one op whose attributes are `a` (a Fill: any attributes are
/// allowed on it, and the key covers them all).
ir::Graph one_node(const ir::Attrs& a) {
  ir::Graph g;
  g.set_output("y", g.add({OpKind::Fill, {}, {2, 3}, a, "y", {}}));
  return g;
}

}  // namespace

TEST_CASE("changing any declared attribute changes the compiled-step cache key") {
  const ir::Attrs base;
  const codegen::GraphKey base_key = codegen::graph_key(one_node(base));
  int count = 0;
#define TL_ATTR(type, name, init, doc)                                      \
  {                                                                         \
    ir::Attrs a;                                                            \
    a.name = changed(a.name);                                               \
    CAPTURE(#name);                                                         \
    CHECK_FALSE(a == base);                                                 \
    CHECK_FALSE(codegen::graph_key(one_node(a)) == base_key);               \
    CHECK(codegen::graph_key(one_node(a)) == codegen::graph_key(one_node(a))); \
    ++count;                                                                \
  }
#include "compiler/ir/attrs.def"
#undef TL_ATTR
  int walked = 0;
  ir::for_each_attr(base, [&](AttrId, const auto&) { ++walked; });
  CHECK(walked == count);
  CHECK(count >= 17);
}

TEST_CASE("the printer shows exactly the attributes an op declares it reads") {
  ir::Graph g;
  ir::Attrs a;
  a.value = 2.5;
  a.rate = 0.5;  // not read by a Fill: not printed
  g.add({OpKind::Fill, {}, {2}, a, "f", {}});
  ir::Attrs m;
  m.trans_b = true;
  const ir::NodeId x = g.add({OpKind::Input, {}, {4, 3}, {}, "x", {}});
  const ir::NodeId w = g.add({OpKind::Param, {}, {5, 3}, {}, "w", {}});
  g.add({OpKind::MatMul, {x, w}, {}, m, "mm", {}});
  const std::string text = ir::print(g);
  CHECK(text.find("fill() {value=2.5} : (2)") != std::string::npos);
  CHECK(text.find("rate") == std::string::npos);
  CHECK(text.find("matmul(%1, %2) {trans_a=false, trans_b=true} : (4,5)") != std::string::npos);
}

TEST_CASE("every op's row: category, arity and spelling agree with its enums") {
  for (std::size_t i = 0; i < ir::op_count; ++i) {
    const auto op = static_cast<OpKind>(i);
    CAPTURE(std::string(ir::spelling(op)));
    CHECK(!ir::spelling(op).empty());
    CHECK(ir::arity(op) >= 0);
    CHECK(ir::arity(op) <= 4);
    // Elementwise ops say how many FLOPs an element costs; no other op does.
    CHECK((ir::op_info(op).flops > 0) == ir::is_elementwise(op));
  }
  CHECK(ir::sub_op<ir::PoolOp>(OpKind::AvgPool2D) == ir::PoolOp::AvgPool2D);
  CHECK(ir::sub_op<ir::UnaryOp>(OpKind::Neg) == ir::UnaryOp::Neg);
  CHECK(ir::sub_op<ir::UpdateOp>(OpKind::MovingAverage) == ir::UpdateOp::MovingAverage);
  CHECK_THROWS_AS(ir::sub_op<ir::UnaryOp>(OpKind::Add), std::logic_error);
  CHECK(ir::category(OpKind::ReluGrad) == ir::OpCategory::ActivationGrad);
}
