// What `tlc --emit=fused` and `--emit=llvm` show for the seed's CNN: which
// ops share a kernel (conv + bias + pool with its argmax; the pool gradient
// with the bias and filter gradients; the loss head; one kernel of updates;
// dropout masks generated where used), a single barrier per training step,
// and vector fused multiply-adds in the hot kernels of the optimised IR.
#include <doctest/doctest.h>

#include <string>

#include "compiler/codegen/compile.hpp"
#include "compiler/lower/step_graph.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

const char* kSeedScript = R"(
seed 1
tiny = idx("tiny")
data = tiny.train | scale 1/255
model seed_cnn(classes) {
  input(8, 8, 1)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}
net = seed_cnn(5)
train net on data { epochs 1  batch 16 }
)";

tl::lower::StepGraph train_graph(tl::data::DataStore& store) {
  const auto exp = tl::test::check_ok("emit.tl", kSeedScript, store);
  return tl::lower::build_step(exp.models[0], 16, tl::lower::StepKind::Train, &exp.steps[0].train);
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

/// The body of the function whose name contains `name`.
std::string function_body(const std::string& ir, const std::string& name) {
  std::size_t at = ir.find("define");
  while (at != std::string::npos) {
    const std::size_t line_end = ir.find('\n', at);
    const std::size_t end = ir.find("\n}\n", at);
    if (ir.substr(at, line_end - at).find(name) != std::string::npos) return ir.substr(at, end - at);
    at = ir.find("define", end);
  }
  return "";
}

}  // namespace

TEST_CASE("emit=fused: the seed CNN's training step as fused kernels") {
  tl::data::DataStore store;
  const auto step = train_graph(store);
  const std::string plan = tl::codegen::describe(tl::codegen::plan_step(step.graph), step.graph);
  INFO(plan);
  CHECK(plan.find("conv-pool: conv2d") != std::string::npos);
  CHECK(plan.find("+ bias_add") != std::string::npos);
  CHECK(plan.find("(argmax -> arena") != std::string::npos);
  CHECK(plan.find("pool grads: maxpool2d_grad") != std::string::npos);
  CHECK(plan.find("loss head: softmax") != std::string::npos);
  CHECK(count(plan, "updates: adam_update") == 1);
  CHECK(count(plan, "dropout_mask") == 0);  // generated inside the matmul's epilogue
  CHECK(count(plan, "\nbarrier\n") == 1);
}

TEST_CASE("emit=llvm: hot loops are vector fused multiply-adds") {
  tl::data::DataStore store;
  const auto step = train_graph(store);
  const std::string ir = tl::codegen::optimised_ir(step.graph);
  for (const char* kernel : {"conv2d_bias_add_maxpool2d", "maxpool2d_grad_channel_sum_conv2d_grad_filter"}) {
    const std::string body = function_body(ir, kernel);
    INFO(kernel);
    REQUIRE(!body.empty());
    CHECK(body.find("x float>") != std::string::npos);
    CHECK(body.find("@llvm.fmuladd.v") != std::string::npos);
  }
}
