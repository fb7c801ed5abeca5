// The JIT executor keeps the Executor contract of the reference: the same
// errors (missing feeds and parameters, wrong shapes, labels outside the
// classes) with the same messages, absent States read as zeros, outputs that
// are leaves or reshapes, and one executor running different graphs in turn.
#include <doctest/doctest.h>

#include <stdexcept>

#include "runtime/exec/jit.hpp"
#include "runtime/exec/executor.hpp"
#include "runtime/exec/reference.hpp"
#include "tests/unit/graph_test_support.hpp"
#include "tests/unit/test_jit_support.hpp"

namespace {

using namespace tl;
using ir::OpKind;
using test::make_tensor;

/// The message each executor throws for the same run, or "" if none.
std::string message_of(exec::Executor& executor, const ir::Graph& graph, exec::Variables vars, const exec::Feeds& feeds) {
  try {
    executor.run(graph, vars, feeds, {});
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

void same_error(const ir::Graph& graph, const exec::Variables& vars, const exec::Feeds& feeds) {
  exec::ReferenceExecutor reference;
  exec::JitExecutor jit(2, 0);
  const std::string expected = message_of(reference, graph, vars, feeds);
  CHECK(!expected.empty());
  CHECK(message_of(jit, graph, vars, feeds) == expected);
}

}  // namespace

TEST_CASE("jit: missing values and wrong shapes throw the reference's errors") {
  test::GraphCase c;
  const ir::NodeId p = c.param("dense/kernel", make_tensor({2}, {1, 2}));
  const ir::NodeId s = c.graph.add({OpKind::State, {}, {2}, {}, "bn/moving_mean", {}});
  c.graph.set_output("sum", c.add(OpKind::Add, {p, s}));
  exec::JitExecutor jit(1);
  test::Tolerance exact;
  exact.exact = true;
  test::check_close(jit.run(c.graph, c.vars, {}, {}).at("sum"), make_tensor({2}, {1, 2}), exact, "absent state");
  CHECK(c.vars.tensors.count("bn/moving_mean") == 0);  // read as zeros, not created

  exec::Variables wrong = c.vars;
  wrong.tensors["dense/kernel"] = make_tensor({3}, {1, 2, 3});
  same_error(c.graph, wrong, {});
  wrong.tensors.erase("dense/kernel");
  same_error(c.graph, wrong, {});

  test::GraphCase fed;
  ir::Node images{OpKind::Input, {}, {1, 2, 2, 1}, {}, "images", {}};
  fed.graph.set_output("y", fed.add(OpKind::Neg, {fed.graph.add(images)}));
  same_error(fed.graph, fed.vars, {});
  const Tensor bad = make_tensor({1, 4}, {1, 2, 3, 4});
  same_error(fed.graph, fed.vars, {&bad, nullptr});
}

TEST_CASE("jit: labels outside the classes throw the reference's error") {
  for (float label : {3.0f, -1.0f, 0.5f}) {
    test::GraphCase c;
    const ir::NodeId scores = c.param("scores", test::random_tensor({3, 3}, 1));
    const ir::NodeId labels = c.labels_input(make_tensor({3}, {0, label, 1}));
    c.graph.set_output("loss", c.add(OpKind::SoftmaxXent, {scores, labels}));
    same_error(c.graph, c.vars, {nullptr, &c.labels});
  }
  // Labels computed in the step are checked inside the kernel.
  test::GraphCase c;
  const ir::NodeId scores = c.param("scores", test::random_tensor({3, 3}, 1));
  const ir::NodeId labels = c.add(OpKind::Scale, {c.param("raw", make_tensor({3}, {0, 1, 2}))}, [] {
    ir::Attrs a;
    a.value = 2.0;
    return a;
  }());
  c.graph.set_output("correct", c.add(OpKind::CountCorrect, {scores, labels}));
  same_error(c.graph, c.vars, {});
}

TEST_CASE("jit: outputs that are leaves, reshapes or updated variables") {
  test::GraphCase c;
  const ir::NodeId p = c.param("w", test::random_tensor({4, 3}, 1));
  const ir::NodeId g = c.param("g", test::random_tensor({4, 3}, 2));
  c.graph.set_output("w_before", p);
  c.graph.set_output("flat", c.add(OpKind::Reshape, {p}, {}, {12}));
  ir::Attrs sgd;
  sgd.lr = 0.5;
  const ir::NodeId update = c.add(OpKind::SgdUpdate, {p, g, c.add(OpKind::Fill, {}, {}, {4, 3})}, sgd);
  c.graph.add_effect(update);
  c.graph.set_output("w_after", update);
  for (int threads : {1, 2}) test::check_jit_matches(c.graph, c.vars, {}, threads, {}, 2);
}

TEST_CASE("jit: one executor runs different graphs in turn") {
  auto graph_of = [](std::int64_t n) {
    test::GraphCase c;
    ir::Attrs a;
    a.value = 2.0;
    c.graph.set_output("y", c.add(OpKind::Scale, {c.param("x", test::random_tensor({n, 3}, 5))}, a));
    return c;
  };
  test::GraphCase small = graph_of(2), large = graph_of(700);
  auto shared = exec::make_executor("jit", 2);
  const Tensor first = shared->run(small.graph, small.vars, {}, {}).at("y");
  const Tensor other = shared->run(large.graph, large.vars, {}, {}).at("y");
  const Tensor again = shared->run(small.graph, small.vars, {}, {}).at("y");
  CHECK(first == again);
  CHECK(other == Tensor(large.vars.tensors.at("x") * 2.0f));
  CHECK(first == Tensor(small.vars.tensors.at("x") * 2.0f));
}
