// JIT-vs-reference comparison helpers (see test_jit_support.hpp).
#include "tests/unit/test_jit_support.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"

namespace tl::test {

void check_close(const Tensor& jit, const Tensor& ref, Tolerance tol, const std::string& what) {
  INFO(what);
  REQUIRE(jit.shape() == ref.shape());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double a = jit.data()[i], b = ref.data()[i];
    const bool ok = tol.exact ? a == b || (std::isnan(a) && std::isnan(b))
                              : std::abs(a - b) <= tol.abs + tol.rel * std::abs(b);
    if (!ok && bad++ < 5) {
      INFO("element ", i, ": jit ", a, ", reference ", b);
      CHECK(ok);
    }
  }
  CHECK(bad == 0);
}

void check_jit_matches(const ir::Graph& graph, const exec::Variables& vars, const exec::Feeds& feeds, int threads,
                       Tolerance tol, int steps, std::uint64_t seed) {
  exec::Variables ref_vars = vars, jit_vars = vars;
  exec::ReferenceExecutor reference;
  exec::JitExecutor jit(threads, 0);
  for (int s = 1; s <= steps; ++s) {
    const exec::StepContext ctx{seed, static_cast<std::uint64_t>(s)};
    const auto expected = reference.run(graph, ref_vars, feeds, ctx);
    const auto got = jit.run(graph, jit_vars, feeds, ctx);
    const std::string where = " (threads " + std::to_string(threads) + ", step " + std::to_string(s) + ")";
    REQUIRE(got.size() == expected.size());
    for (const auto& [name, tensor] : expected) check_close(got.at(name), tensor, tol, "output " + name + where);
    REQUIRE(jit_vars.tensors.size() == ref_vars.tensors.size());
    for (const auto& [name, tensor] : ref_vars.tensors) {
      REQUIRE(jit_vars.tensors.count(name) == 1);
      check_close(jit_vars.tensors.at(name), tensor, tol, "variable " + name + where);
    }
  }
}

}  // namespace tl::test
