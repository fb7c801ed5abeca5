// Learning-rate schedules: each schedule's factor per update as its
// definition gives it (compiler/check/experiment.hpp, LrSchedule), and the
// factor reaching the optimizers' updates: on the reference and on the JIT, a
// step with lr_scale s computes exactly what the same step with lr * s does.
#include <doctest/doctest.h>

#include <cmath>

#include "compiler/autodiff/autodiff.hpp"
#include "compiler/lower/append_updates.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"
#include "runtime/train/lr_schedule.hpp"
#include "tests/unit/graph_test_support.hpp"

using tl::check::LrSchedule;
using tl::train::LrScheduler;

TEST_CASE("lr schedules: step, exponential, cosine with warmup, plateau") {
  LrSchedule step;
  step.kind = LrSchedule::Kind::Step;
  step.every = 2;
  step.gamma = 0.5;
  const LrScheduler s(step, 6, 10);
  CHECK(s.factor(1, 0) == 1.0);
  CHECK(s.factor(2, 9) == 1.0);
  CHECK(s.factor(3, 0) == 0.5);
  CHECK(s.factor(6, 3) == 0.25);

  LrSchedule exponential;
  exponential.kind = LrSchedule::Kind::Exponential;
  exponential.gamma = 0.9;
  const LrScheduler e(exponential, 5, 10);
  CHECK(e.factor(1, 5) == 1.0);
  CHECK(e.factor(4, 0) == doctest::Approx(0.729));

  LrSchedule cosine;
  cosine.kind = LrSchedule::Kind::Cosine;
  cosine.warmup = 1;
  cosine.min_factor = 0.1;
  const LrScheduler c(cosine, 3, 4);  // 12 updates, 4 of warmup
  CHECK(c.factor(1, 0) == doctest::Approx(0.25));
  CHECK(c.factor(1, 3) == doctest::Approx(1.0));
  CHECK(c.factor(2, 0) == doctest::Approx(1.0));  // the first update after warmup: cos(0)
  CHECK(c.factor(3, 0) == doctest::Approx(0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 4 / 8))));  // halfway: 0.55
  CHECK(c.factor(3, 3) == doctest::Approx(0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 7 / 8))));

  LrSchedule plateau;
  plateau.kind = LrSchedule::Kind::Plateau;
  plateau.factor = 0.5;
  plateau.patience = 2;
  LrScheduler p(plateau, 10, 1);
  for (const double loss : {1.0, 0.8, 0.79995, 0.81}) p.epoch_end(loss);  // two epochs without a 1e-4 drop
  CHECK(p.factor(5, 0) == 0.5);
  p.epoch_end(0.85);
  CHECK(p.factor(6, 0) == 0.5);
  p.epoch_end(0.9);  // two more
  CHECK(p.factor(7, 0) == 0.25);
  p.epoch_end(0.5);  // an improvement resets the wait
  p.epoch_end(0.6);
  CHECK(p.factor(9, 0) == 0.25);

  // A NaN loss (on_nan continue) never improves, and never becomes the best.
  LrScheduler q(plateau, 10, 1);
  q.epoch_end(std::nan(""));
  q.epoch_end(2.0);  // improves on the NaN
  q.epoch_end(std::nan(""));
  CHECK(q.factor(4, 0) == 1.0);
  q.epoch_end(std::nan(""));
  CHECK(q.factor(5, 0) == 0.5);
}

TEST_CASE("lr schedules: a step with lr_scale s is the step with lr * s, on both executors") {
  using namespace tl;
  for (const auto kind : {ir::OptimizerSpec::Kind::Adam, ir::OptimizerSpec::Kind::Sgd}) {
    for (const bool jit : {false, true}) {
      CAPTURE(jit);
      auto run = [&](double lr, double scale) {
        test::GraphCase c;
        const ir::NodeId w = c.param("w", test::make_tensor({2, 5}, {1, -2, 0.5, 3, -1, 0.25, 2, -0.5, 1.5, -3}));
        const ir::NodeId g = c.param("g", test::make_tensor({2, 5}, {0.5, -0.1, 0.0, 2, 1, -1, 0.3, 0.7, -0.2, 0.05}));
        ir::OptimizerSpec opt;
        opt.kind = kind;
        opt.lr = lr;
        opt.momentum = kind == ir::OptimizerSpec::Kind::Sgd ? 0.9 : 0.0;
        lower::append_updates(c.graph, autodiff::Gradients{{{w, g}}}, opt);
        ir::verify(c.graph);
        c.graph.set_output("new_w", c.graph.effects()[0]);
        std::unique_ptr<exec::Executor> ex;
        if (jit) ex = std::make_unique<exec::JitExecutor>(2, 0);
        else ex = std::make_unique<exec::ReferenceExecutor>();
        for (std::uint64_t t = 1; t <= 3; ++t) ex->run(c.graph, c.vars, {}, exec::StepContext{0, t, scale});
        return c.vars.tensors.at("w");
      };
      const Tensor scaled = run(0.01, 0.3), direct = run(0.01 * 0.3, 1.0), plain = run(0.01, 1.0);
      for (std::size_t i = 0; i < scaled.size(); ++i) CHECK(scaled.data()[i] == direct.data()[i]);
      bool differs = false;
      for (std::size_t i = 0; i < scaled.size(); ++i) differs = differs || scaled.data()[i] != plain.data()[i];
      CHECK(differs);
    }
  }
}
