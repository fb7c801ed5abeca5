// Implementation of the graph test helpers (see graph_test_support.hpp).
#include "tests/unit/graph_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "compiler/autodiff/autodiff.hpp"
#include "compiler/ir/philox.hpp"

namespace tl::test {

namespace {

Tensor empty_tensor(const ir::Shape& shape) {
  return Tensor::from_shape(std::vector<std::size_t>(shape.begin(), shape.end()));
}

}  // namespace

Tensor random_tensor(const ir::Shape& shape, std::uint64_t stream, float lo, float hi) {
  Tensor t = empty_tensor(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = lo + (hi - lo) * rng::uniform(1234, stream, 0, i);
  return t;
}

Tensor away_from_zero(const ir::Shape& shape, std::uint64_t stream) {
  Tensor t = random_tensor(shape, stream, 0.2f, 1.0f);
  for (std::size_t i = 0; i < t.size(); ++i)
    if (rng::uniform(1234, stream, 1, i) < 0.5f) t.data()[i] = -t.data()[i];
  return t;
}

Tensor distinct_values(const ir::Shape& shape, std::uint64_t stream) {
  Tensor t = empty_tensor(shape);
  const std::size_t n = t.size();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  for (std::size_t i = n; i > 1; --i)  // Fisher-Yates with Philox draws
    std::swap(order[i - 1], order[rng::below(1234, stream, 2, static_cast<std::uint32_t>(i), i)]);
  for (std::size_t i = 0; i < n; ++i) t.data()[i] = 0.05f * static_cast<float>(order[i]) - 0.025f * static_cast<float>(n);
  return t;
}

Tensor make_tensor(const ir::Shape& shape, const std::vector<float>& values) {
  Tensor t = empty_tensor(shape);
  REQUIRE(values.size() == t.size());
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

ir::NodeId GraphCase::param(const std::string& name, Tensor value) {
  const ir::Shape shape(value.shape().begin(), value.shape().end());
  vars.tensors[name] = std::move(value);
  return graph.add({ir::OpKind::Param, {}, shape, {}, name, {}});
}

ir::NodeId GraphCase::labels_input(Tensor value) {
  ir::Node n{ir::OpKind::Input, {}, {static_cast<std::int64_t>(value.size())}, {}, "labels", {}};
  n.attrs.role = ir::InputRole::Labels;
  labels = std::move(value);
  return graph.add(std::move(n));
}

ir::NodeId GraphCase::add(ir::OpKind op, std::vector<ir::NodeId> inputs, ir::Attrs attrs, ir::Shape shape) {
  return graph.add({op, std::move(inputs), std::move(shape), attrs, std::string(ir::spelling(op)), {}});
}

ir::NodeId GraphCase::weighted_sum(ir::NodeId y) {
  const ir::Shape shape = graph.node(y).shape;
  const std::int64_t n = ir::element_count(shape);
  const ir::NodeId w = param("loss_weights", random_tensor(shape, 999));
  const ir::NodeId column = add(ir::OpKind::Reshape, {add(ir::OpKind::Mul, {y, w})}, {}, {n, 1});
  return add(ir::OpKind::Reshape, {add(ir::OpKind::ChannelSum, {column})}, {}, {});
}

std::unordered_map<std::string, Tensor> GraphCase::run(const exec::StepContext& ctx) {
  exec::Feeds feeds;
  if (labels.size() > 0 && !labels.shape().empty()) feeds.labels = &labels;
  return executor.run(graph, vars, feeds, ctx);
}

void check_gradients(GraphCase& c, ir::NodeId loss, const std::vector<ir::NodeId>& wrt, double h,
                     const exec::StepContext& ctx) {
  ir::verify(c.graph);
  const autodiff::Gradients grads = autodiff::differentiate(c.graph, loss, wrt);
  ir::verify(c.graph);
  REQUIRE(grads.params.size() == wrt.size());
  c.graph.set_output("loss", loss);
  for (std::size_t i = 0; i < grads.params.size(); ++i)
    c.graph.set_output("grad" + std::to_string(i), grads.params[i].second);
  const auto analytic = c.run(ctx);

  for (std::size_t i = 0; i < grads.params.size(); ++i) {
    const std::string name = c.graph.node(grads.params[i].first).name;
    INFO("gradient of ", name);
    Tensor& value = c.vars.tensors.at(name);
    const Tensor& grad = analytic.at("grad" + std::to_string(i));
    REQUIRE(grad.shape() == value.shape());
    double largest = 0.0;
    for (std::size_t j = 0; j < value.size(); ++j) {
      const float original = value.data()[j];
      // The step actually taken in float, not the nominal 2h.
      const float above = original + static_cast<float>(h), below = original - static_cast<float>(h);
      value.data()[j] = above;
      const double up = c.run(ctx).at("loss").data()[0];
      value.data()[j] = below;
      const double down = c.run(ctx).at("loss").data()[0];
      value.data()[j] = original;
      const double numeric = (up - down) / (static_cast<double>(above) - below);
      largest = std::max(largest, std::abs(numeric));
      INFO("element ", j, ": analytic ", grad.data()[j], ", numeric ", numeric);
      CHECK(std::abs(grad.data()[j] - numeric) <= 2e-3 + 1e-2 * std::abs(numeric));
    }
    CHECK(largest > 0.05);
  }
}

}  // namespace tl::test
