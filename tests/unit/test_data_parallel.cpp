// Data-parallel training without MPI: ranks as threads of this process, each
// with its own model state and executor, exchanging through an in-process
// Communicator. A fit over 2 or 3 ranks ends within float tolerance of one
// process (dropout included: each shard draws its rows' masks; batchnorm
// with the whole batch's statistics, on both backends, also when a rank has
// no rows), every rank holds bit-identical weights, a repeat is
// bit-identical, a sharded evaluation gives one process's figures and
// predictions, process_mean's adjoint matches finite differences of the
// whole batch's loss, and an error on one rank makes every rank throw.
// tests/cli/mpi_test.sh checks the same under mpirun.
#include <doctest/doctest.h>

#include <cstring>
#include <mutex>
#include <thread>

#include "compiler/autodiff/autodiff.hpp"
#include "runtime/dist/failure.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"
#include "runtime/train/data_parallel.hpp"
#include "runtime/train/model_state.hpp"
#include "runtime/train/trainer.hpp"
#include "tests/support/thread_group.hpp"
#include "tests/unit/graph_test_support.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

using namespace tl;

using Group = test::ThreadGroup;

class Member final : public dist::Communicator {
 public:
  Member(Group& g, int rank) : g_(g), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return g_.size(); }
  std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const override {
    return g_.allgather(rank_, data, bytes, lengths);
  }
  [[noreturn]] void abort(int) const override { std::abort(); }

 private:
  Group& g_;
  int rank_;
};

using Quiet = tl::test::QuietProgress;

const char* kScript = R"(
seed 5
tiny = idx("tiny")
data = tiny.train | scale 1/255
model small(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3, activation = relu)
  flatten()
  dense(8, relu)
  dropout(0.25)
  dense(classes, softmax)
}
net = small(5)
train net on data { epochs 2  batch 16  optimizer adam  clip_norm 1.0  weight_decay 0.01 }
evaluate net on data
)";

// 96 samples in batches of 19: the last batch has one row, so with 2 or 3
// ranks some rank has none (it still takes part in the step's collectives).
// A batchnorm on the input (no gradient to combine: two process_means, not
// four), and a residual block with a batchnorm on each path (independent
// process_means: every executor must run them in the same order).
const char* kBatchnorm = R"(
seed 5
tiny = idx("tiny")
data = tiny.train | scale 1/255
model bn(classes) {
  input(8, 8, 1)
  batchnorm()
  conv2d(4, 3x3)
  batchnorm()
  stem: activation(relu)
  conv2d(6, 3x3, padding = same)
  batchnorm(momentum = 0.9)
  activation(relu)
  conv2d(4, 3x3, padding = same, use_bias = false)
  main: batchnorm()
  conv2d(4, 1x1, use_bias = false) from stem
  short: batchnorm()
  add(main, short)
  activation(relu)
  flatten()
  dense(classes, softmax)
}
net = bn(5)
train net on data { epochs 2  batch 19  optimizer sgd(lr = 0.05) }
)";

/// Trains model 0 of `script` on `ranks` in-process ranks (0: no
/// communicator) with `backend` ("jit2": the JIT on 2 threads, every pass
/// split between them); returns every rank's final weights and its history.
struct Trained {
  std::vector<exec::Variables> vars;
  std::vector<std::vector<train::EpochStats>> history;
};
Trained train_on(const char* script, int ranks, const std::string& backend = "reference") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("dp.tl", script, store);
  const auto data = store.get(exp, exp.steps[0].data);
  const int n = std::max(ranks, 1);
  Trained out;
  out.vars.resize(static_cast<std::size_t>(n));
  out.history.resize(static_cast<std::size_t>(n));
  Group group(n);
  auto run = [&](int rank) {
    train::ModelState state = train::initialise(exp.models[0], exp.seed);
    const std::unique_ptr<exec::Executor> executor =
        backend == "jit2" ? std::make_unique<exec::JitExecutor>(2, 0) : exec::make_executor(backend, 1);
    Quiet quiet;
    Member member(group, rank);
    train::FitHooks hooks;
    if (ranks > 0) hooks.comm = &member;
    const train::FitResult r = train::fit(*executor, state, *data, exp.steps[0].train, 11, nullptr, quiet, hooks);
    out.vars[static_cast<std::size_t>(rank)] = state.vars;
    out.history[static_cast<std::size_t>(rank)] = r.history;
  };
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) threads.emplace_back(run, r);
  for (auto& t : threads) t.join();
  return out;
}

bool identical(const exec::Variables& a, const exec::Variables& b) {
  for (const auto& [name, t] : a.tensors) {
    const auto it = b.tensors.find(name);
    if (it == b.tensors.end() || it->second.shape() != t.shape() ||
        std::memcmp(it->second.data(), t.data(), t.size() * sizeof(float)) != 0)
      return false;
  }
  return a.tensors.size() == b.tensors.size();
}

}  // namespace

TEST_CASE("share_of splits a batch as evenly as possible, in rank order") {
  CHECK(dist::share_of(10, 0, 3).first == 0);
  CHECK(dist::share_of(10, 0, 3).size() == 4);
  CHECK(dist::share_of(10, 1, 3).first == 4);
  CHECK(dist::share_of(10, 2, 3).first == 7);
  CHECK(dist::share_of(10, 2, 3).last == 10);
  CHECK(dist::share_of(1, 1, 2).size() == 0);  // a rank may have nothing to do
  std::vector<double> v = {1.5, 2.0};
  dist::sum_in_rank_order(dist::Solo(), v);
  CHECK(v == std::vector<double>{1.5, 2.0});
}

namespace {

/// Generated 8x8 images decoded "on demand" (as an image folder's), noting
/// every batch a process announces with prefetch().
class AnnouncedImages final : public data::LazyImages {
 public:
  std::size_t image_bytes() const override { return 64; }
  void read(const std::uint32_t* ids, std::size_t n, std::uint8_t* dst, bool* ok) override {
    for (std::size_t k = 0; k < n; ++k) {
      for (std::size_t j = 0; j < 64; ++j) dst[k * 64 + j] = static_cast<std::uint8_t>(ids[k] * 7 + j);
      ok[k] = true;
    }
  }
  void prefetch(const std::uint32_t* ids, std::size_t n) override {
    const std::lock_guard<std::mutex> lock(m_);
    announced.emplace_back(ids, ids + n);
  }
  std::vector<std::pair<std::string, std::string>> skipped() const override { return {}; }
  std::vector<std::vector<std::uint32_t>> announced;

 private:
  std::mutex m_;
};

}  // namespace

TEST_CASE("a data-parallel process prefetches only its share of the next batches") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("dp.tl", kScript, store);
  const check::TrainConfig& config = exp.steps[0].train;
  auto fit_on = [&](AnnouncedImages& images, const dist::Communicator* comm) {
    auto pixels = std::make_shared<data::PixelStore>();
    pixels->lazy = std::shared_ptr<data::LazyImages>(&images, [](data::LazyImages*) {});
    data::Dataset ds;
    ds.height = ds.width = 8, ds.channels = 1;
    ds.store = pixels;
    for (int i = 0; i < 96; ++i) ds.labels.push_back(i % 5);
    train::ModelState state = train::initialise(exp.models[0], exp.seed);
    exec::ReferenceExecutor executor;
    Quiet quiet;
    train::FitHooks hooks;
    hooks.comm = comm;
    train::fit(executor, state, ds, config, 3, nullptr, quiet, hooks);
  };
  AnnouncedImages one;
  fit_on(one, nullptr);
  REQUIRE(one.announced.size() >= 4);  // 96 / 16 = 6 steps, each announcing the next two batches
  const int n = 2;
  Group group(n);
  std::vector<AnnouncedImages> ranks(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      Member member(group, r);
      fit_on(ranks[static_cast<std::size_t>(r)], &member);
    });
  for (auto& t : threads) t.join();
  for (int r = 0; r < n; ++r) {
    const auto& got = ranks[static_cast<std::size_t>(r)].announced;
    REQUIRE(got.size() == one.announced.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      const auto& all = one.announced[k];
      const dist::Share share = dist::share_of(all.size(), r, n);
      CAPTURE(r);
      CAPTURE(k);
      CHECK(got[k] == std::vector<std::uint32_t>(all.begin() + static_cast<std::ptrdiff_t>(share.first),
                                                 all.begin() + static_cast<std::ptrdiff_t>(share.last)));
    }
  }
}

TEST_CASE("exchange delivers each rank's blocks to their ranks, in rank order") {
  const int n = 3;
  Group group(n);
  std::vector<std::vector<char>> got(n);
  std::vector<std::vector<std::size_t>> lengths(n);
  auto run = [&](int rank) {
    // Rank r sends rank s (r + 1) * s bytes of value 10 r + s: rank 0 gets nothing.
    std::vector<char> data;
    std::vector<std::size_t> counts;
    for (int s = 0; s < n; ++s) {
      counts.push_back(static_cast<std::size_t>((rank + 1) * s));
      data.insert(data.end(), counts.back(), static_cast<char>(10 * rank + s));
    }
    Member member(group, rank);
    got[static_cast<std::size_t>(rank)] = member.exchange(data.data(), counts, lengths[static_cast<std::size_t>(rank)]);
  };
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) threads.emplace_back(run, r);
  for (auto& t : threads) t.join();
  for (int s = 0; s < n; ++s) {
    std::vector<char> want;
    std::vector<std::size_t> want_lengths;
    for (int r = 0; r < n; ++r) {
      want_lengths.push_back(static_cast<std::size_t>((r + 1) * s));
      want.insert(want.end(), want_lengths.back(), static_cast<char>(10 * r + s));
    }
    CAPTURE(s);
    CHECK(got[static_cast<std::size_t>(s)] == want);
    CHECK(lengths[static_cast<std::size_t>(s)] == want_lengths);
  }
}

TEST_CASE("sum_in_rank_order adds rank 0's value first, then rank 1's, ..., for any length") {
  // Up to dist::kSmallSum elements every rank adds all vectors itself; longer, each sums a share.
  for (const std::size_t length : {std::size_t{0}, std::size_t{2}, std::size_t{3}, std::size_t{1000}, dist::kSmallSum,
                                   dist::kSmallSum + 1, std::size_t{5000}}) {
    const int n = 3;
    Group group(n);
    std::vector<std::vector<double>> values(n);
    for (int r = 0; r < n; ++r)
      for (std::size_t i = 0; i < length; ++i)  // magnitudes far apart: the order shows in the bits
        values[static_cast<std::size_t>(r)].push_back(r == 1 ? 1e16 : 1.0 + static_cast<double>(i) * 0.1 + r);
    std::vector<double> want(length);
    for (std::size_t i = 0; i < length; ++i) want[i] = (values[0][i] + values[1][i]) + values[2][i];
    auto run = [&](int rank) {
      Member member(group, rank);
      dist::sum_in_rank_order(member, values[static_cast<std::size_t>(rank)]);
    };
    std::vector<std::thread> threads;
    for (int r = 0; r < n; ++r) threads.emplace_back(run, r);
    for (auto& t : threads) t.join();
    CAPTURE(length);
    for (int r = 0; r < n; ++r) CHECK(values[static_cast<std::size_t>(r)] == want);
  }
}

/// The largest difference between a's and b's tensors (optimizer slots
/// aside), relative to each tensor's largest magnitude, or to 1e-3 when that
/// is smaller (a conv's bias before a batchnorm has no gradient but rounding
/// noise: it stays near zero, where relative differences mean nothing).
double largest_difference(const exec::Variables& a, const exec::Variables& b) {
  double worst = 0;
  for (const auto& [name, t] : a.tensors) {
    if (name.find("/adam") != std::string::npos || name.find("/velocity") != std::string::npos)
      continue;  // optimizer slots: compared through the weights
    const Tensor& u = b.tensors.at(name);
    float scale = 1e-3f;
    for (std::size_t i = 0; i < t.size(); ++i) scale = std::max(scale, std::abs(t.data()[i]));
    double here = 0;
    for (std::size_t i = 0; i < t.size(); ++i) here = std::max(here, double(std::abs(t.data()[i] - u.data()[i]) / scale));
    worst = std::max(worst, here);
  }
  return worst;
}

TEST_CASE("data-parallel fit over 2 and 3 ranks ends where one process does, the same on every rank") {
  const Trained one = train_on(kScript, 0);
  for (const int ranks : {2, 3}) {
    CAPTURE(ranks);
    const Trained many = train_on(kScript, ranks);
    for (int r = 1; r < ranks; ++r) CHECK(identical(many.vars[0], many.vars[static_cast<std::size_t>(r)]));
    const double worst = largest_difference(one.vars[0], many.vars[0]);
    MESSAGE("largest weight difference from one process, relative to the tensor's scale: " << worst);
    CHECK(worst < 1e-5);
    REQUIRE(many.history[0].size() == one.history[0].size());
    for (std::size_t e = 0; e < one.history[0].size(); ++e) {
      CHECK(many.history[0][e].loss == doctest::Approx(one.history[0][e].loss).epsilon(1e-5));
      CHECK(many.history[0][e].samples == one.history[0][e].samples);
    }
  }
  // The same ranks again: the same bits.
  CHECK(identical(train_on(kScript, 2).vars[0], train_on(kScript, 2).vars[0]));
}

TEST_CASE("data-parallel batchnorm normalises with the whole batch's statistics: one process's result") {
  for (const std::string backend : {"reference", "jit", "jit2"}) {
    const Trained one = train_on(kBatchnorm, 0, backend);
    for (const int ranks : {2, 3}) {
      CAPTURE(backend);
      CAPTURE(ranks);
      const Trained many = train_on(kBatchnorm, ranks, backend);
      for (int r = 1; r < ranks; ++r) CHECK(identical(many.vars[0], many.vars[static_cast<std::size_t>(r)]));
      REQUIRE(many.vars[0].tensors.count("batch_normalization/moving_mean") == 1);
      REQUIRE(many.vars[0].tensors.count("batch_normalization_1/moving_variance") == 1);
      // Moving statistics and weights as one process computes them (per-shard
      // statistics, as before, were off by 1e-2 and more).
      const double worst = largest_difference(one.vars[0], many.vars[0]);
      MESSAGE(backend << ", " << ranks << " ranks: largest difference from one process " << worst);
      CHECK(worst < 1e-4);
      for (std::size_t e = 0; e < one.history[0].size(); ++e)
        CHECK(many.history[0][e].loss == doctest::Approx(one.history[0][e].loss).epsilon(1e-5));
    }
  }
}

TEST_CASE("process_mean's adjoint over 3 ranks matches finite differences of the whole batch's loss") {
  // Rank r holds x_r (rows_r, 3); y_r = square(x_r - process_mean(channel_mean(x_r))) summed with fixed
  // weights is L_r; the whole loss is sum_r w_r L_r, w_r = rows_r / rows. A data-parallel step adds
  // w_r * (rank r's gradient of L_r), so that is what must equal dL/dx_r.
  const std::vector<std::int64_t> rows = {2, 3, 5};
  const int n = 3;
  const double total = 10;
  std::vector<test::GraphCase> cases(n);
  std::vector<ir::NodeId> x(n), loss(n);
  std::vector<autodiff::Gradients> grads;
  for (int r = 0; r < n; ++r) {
    test::GraphCase& c = cases[static_cast<std::size_t>(r)];
    x[r] = c.param("x", test::random_tensor({rows[r], 3}, 40 + r, -1.0f, 2.0f));
    const ir::NodeId mean = c.add(ir::OpKind::ProcessMean, {c.add(ir::OpKind::ChannelMean, {x[r]})});
    const ir::NodeId centered = c.add(ir::OpKind::BiasAdd, {x[r], c.add(ir::OpKind::Neg, {mean})});
    loss[r] = c.weighted_sum(c.add(ir::OpKind::Square, {centered}));
    grads.push_back(autodiff::differentiate(c.graph, loss[r], {x[r]}));
    c.graph.set_output("loss", loss[r]);
    c.graph.set_output("grad", grads.back().params[0].second);
  }
  // Every rank runs its graph at once (the collectives meet); returns sum_r w_r L_r and the gradients.
  auto run_all = [&](std::vector<Tensor>* gradients) {
    Group group(n);
    std::vector<double> losses(n);
    std::vector<std::thread> threads;
    if (gradients) gradients->assign(n, Tensor());
    for (int r = 0; r < n; ++r)
      threads.emplace_back([&, r] {
        Member member(group, r);
        train::ShardCollectives collectives(member, static_cast<double>(rows[r]));
        exec::StepContext ctx;
        ctx.collectives = &collectives;
        const auto out = cases[static_cast<std::size_t>(r)].run(ctx);
        losses[static_cast<std::size_t>(r)] = out.at("loss").data()[0];
        if (gradients) (*gradients)[static_cast<std::size_t>(r)] = out.at("grad");
      });
    for (auto& t : threads) t.join();
    double whole = 0;
    for (int r = 0; r < n; ++r) whole += static_cast<double>(rows[r]) / total * losses[static_cast<std::size_t>(r)];
    return whole;
  };
  std::vector<Tensor> analytic;
  run_all(&analytic);
  double largest = 0, through_others = 0;
  for (int r = 0; r < n; ++r) {
    Tensor& value = cases[static_cast<std::size_t>(r)].vars.tensors.at("x");
    for (std::size_t j = 0; j < value.size(); ++j) {
      const float original = value.data()[j], h = 1e-2f;
      value.data()[j] = original + h;
      const double up = run_all(nullptr);
      value.data()[j] = original - h;
      const double down = run_all(nullptr);
      value.data()[j] = original;
      const double numeric = (up - down) / (2.0 * h);
      const double got = static_cast<double>(rows[r]) / total * analytic[static_cast<std::size_t>(r)].data()[j];
      CAPTURE(r);
      CAPTURE(j);
      CHECK(std::abs(got - numeric) <= 2e-3 + 1e-2 * std::abs(numeric));
      largest = std::max(largest, std::abs(numeric));
    }
  }
  CHECK(largest > 0.05);
  // Without the other ranks' part (each rank's own mean), the gradients differ.
  for (int r = 0; r < n; ++r) {
    test::GraphCase alone;
    const ir::NodeId xa = alone.param("x", cases[static_cast<std::size_t>(r)].vars.tensors.at("x"));
    const ir::NodeId mean = alone.add(ir::OpKind::ChannelMean, {xa});
    const ir::NodeId la = alone.weighted_sum(alone.add(ir::OpKind::Square, {alone.add(ir::OpKind::BiasAdd, {xa, alone.add(ir::OpKind::Neg, {mean})})}));
    alone.graph.set_output("grad", autodiff::differentiate(alone.graph, la, {xa}).params[0].second);
    const Tensor g = alone.run().at("grad");
    for (std::size_t j = 0; j < g.size(); ++j)
      through_others = std::max(through_others, double(std::abs(g.data()[j] - analytic[static_cast<std::size_t>(r)].data()[j])));
  }
  CHECK(through_others > 0.05);
}

namespace {

/// 96 8x8 images whose label at `bad` is 7 (the model has 5 classes).
data::Dataset with_bad_label(std::size_t bad) {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("dp.tl", kScript, store);
  data::Dataset ds = *store.get(exp, exp.steps[0].data);
  ds.labels[bad] = 7;
  return ds;
}

}  // namespace

TEST_CASE("an error on one rank of a data-parallel fit makes every rank throw, none waits") {
  for (const char* script : {kScript, kBatchnorm})
    for (const std::string backend : {"reference", "jit"}) {
      CAPTURE(backend);
      data::DataStore store;
      const check::Experiment exp = test::check_ok("dp.tl", script, store);
      // Unshuffled order: sample 30 is row 14 of the second batch of 16 (rank 1: rows 8..15)
      // or row 11 of the second batch of 19 (rank 1: rows 10..18).
      check::TrainConfig config = exp.steps[0].train;
      config.shuffle = 0;
      const data::Dataset ds = with_bad_label(30);
      const int n = 2;
      Group group(n);
      std::vector<std::string> errors(n);
      std::vector<exec::Variables> after(n);
      std::vector<std::thread> threads;
      for (int r = 0; r < n; ++r)
        threads.emplace_back([&, r] {
          train::ModelState state = train::initialise(exp.models[0], exp.seed);
          const auto executor = exec::make_executor(backend, 1);
          Quiet quiet;
          Member member(group, r);
          train::FitHooks hooks;
          hooks.comm = &member;
          try {
            train::fit(*executor, state, ds, config, 11, nullptr, quiet, hooks);
          } catch (const dist::ProcessFailed& e) {
            errors[static_cast<std::size_t>(r)] = "other: " + std::string(e.what());
          } catch (const std::exception& e) {
            errors[static_cast<std::size_t>(r)] = "own: " + std::string(e.what());
          }
          after[static_cast<std::size_t>(r)] = state.vars;
        });
      for (auto& t : threads) t.join();
      INFO(errors[0]);
      INFO(errors[1]);
      CHECK(errors[1].rfind("own: ", 0) == 0);
      CHECK(errors[1].find("label") != std::string::npos);
      CHECK(errors[0] == "other: process 1: " + errors[1].substr(5));
      // The failed step changed no process's model: weights and moving statistics agree.
      CHECK(identical(after[0], after[1]));
    }
}

TEST_CASE("an error on one rank of a sharded evaluation makes every rank throw") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("dp.tl", kScript, store);
  const check::TrainConfig config = train::default_eval_config(exp.models[0]);
  const train::ModelState start = train::initialise(exp.models[0], exp.seed);
  data::Dataset good = with_bad_label(0);
  good.labels[0] = 0;  // every label a class
  data::Dataset bad = good;
  bad.labels[90] = 7;  // in rank 1's share of the 96 samples (48..95)
  for (const std::string backend : {"reference", "jit"}) {
    CAPTURE(backend);
    Group group(2);
    std::vector<std::string> errors(2);
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r)
      threads.emplace_back([&, r] {
        train::ModelState s = start;
        const auto executor = exec::make_executor(backend, 1);
        Member member(group, r);
        try {
          train::evaluate(*executor, s, r == 1 ? bad : good, 16, config, nullptr, nullptr, &member);
        } catch (const std::exception& e) {
          errors[static_cast<std::size_t>(r)] = e.what();
        }
      });
    for (auto& t : threads) t.join();
    INFO(errors[0]);
    CHECK(errors[1].find("label 7") != std::string::npos);
    CHECK(errors[0] == "process 1: " + errors[1]);
  }
}

TEST_CASE("a sharded evaluation gives one process's figures and predictions, in sample order") {
  data::DataStore store;
  const check::Experiment exp = test::check_ok("dp.tl", kScript, store);
  const auto data = store.get(exp, exp.steps[0].data);
  const train::ModelState trained = train::initialise(exp.models[0], exp.seed);
  const check::TrainConfig config = train::default_eval_config(exp.models[0]);
  exec::ReferenceExecutor executor;
  train::ModelState one_state = trained;
  train::Predictions one_predictions;
  const train::EvalStats one = train::evaluate(executor, one_state, *data, 7, config, nullptr, &one_predictions);
  Group group(3);
  std::vector<train::EvalStats> stats(3);
  std::vector<train::Predictions> predictions(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      train::ModelState s = trained;
      exec::ReferenceExecutor e;
      Member member(group, r);
      stats[static_cast<std::size_t>(r)] =
          train::evaluate(e, s, *data, 7, config, nullptr, &predictions[static_cast<std::size_t>(r)], &member);
    });
  for (auto& t : threads) t.join();
  for (int r = 0; r < 3; ++r) {
    CAPTURE(r);
    CHECK(stats[static_cast<std::size_t>(r)].samples == one.samples);
    CHECK(stats[static_cast<std::size_t>(r)].loss == doctest::Approx(one.loss).epsilon(1e-6));
    CHECK(stats[static_cast<std::size_t>(r)].accuracy == one.accuracy);
    CHECK(predictions[static_cast<std::size_t>(r)].samples == one_predictions.samples);
    CHECK(predictions[static_cast<std::size_t>(r)].labels == one_predictions.labels);
    CHECK(predictions[static_cast<std::size_t>(r)].scores == one_predictions.scores);
  }
}
