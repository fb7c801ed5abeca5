// The training loop and evaluation (see trainer.hpp).
#include "runtime/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "runtime/data/batches.hpp"
#include "runtime/dist/failure.hpp"
#include "runtime/train/batch_buffers.hpp"
#include "runtime/train/data_parallel.hpp"
#include "runtime/train/finite.hpp"
#include "compiler/ir/optimizer.hpp"
#include "runtime/train/lr_schedule.hpp"

namespace tl::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// "layer 'dense' (dense/kernel)" for the first weight holding a NaN or an
/// infinity, or "" when all are finite.
std::string first_non_finite(const ModelState& state) {
  for (const auto& layer : state.spec->layers)
    for (const auto& p : layer.params) {
      const std::string name = check::ModelSpec::tensor_name(layer, p);
      const Tensor& t = state.vars.tensors.at(name);
      if (!all_finite(t.data(), t.size())) return "the weights of layer '" + layer.name + "' (" + name + ")";
    }
  return {};
}

/// The model's weights and statistics, without optimizer slots.
exec::Variables weights_of(const ModelState& state) {
  exec::Variables out;
  for (const auto& [name, t] : state.vars.tensors)
    if (!ir::is_optimizer_slot(name)) out.tensors.emplace(name, t);
  return out;
}

}  // namespace

const lower::StepGraph& StepGraphs::get(const check::ModelSpec& model, lower::StepKind kind, std::int64_t batch,
                                       const check::TrainConfig& config) {
  const auto key = std::make_pair(static_cast<int>(kind), batch);
  auto it = graphs_.find(key);
  if (it == graphs_.end()) it = graphs_.emplace(key, lower::build_step(model, batch, kind, &config, model.frozen)).first;
  return it->second;
}

check::TrainConfig default_eval_config(const check::ModelSpec& model) {
  check::TrainConfig config;
  config.loss.from_logits =
      model.layers[static_cast<std::size_t>(model.output)].activation != check::Activation::Softmax;
  return config;
}

FitResult fit(exec::Executor& executor, ModelState& state, const data::Dataset& data, const check::TrainConfig& config,
              std::uint64_t seed, const data::Dataset* validation, ProgressSink& progress, const FitHooks& hooks) {
  if (!hooks.resume) reset_optimizer(state);
  StepGraphs graphs;
  BatchBuffers buffers;
  const std::size_t n = data.size();
  const auto batch = static_cast<std::size_t>(config.batch);
  const std::size_t steps = data::batch_count(n, batch);
  const std::size_t buffer = config.shuffle < 0 ? n : static_cast<std::size_t>(config.shuffle);
  std::uint64_t step_counter = hooks.resume ? hooks.resume->step_counter : 0;  // Adam's t
  bool warned = false;
  std::vector<EpochStats> history = hooks.resume ? hooks.resume->history : std::vector<EpochStats>{};
  LrScheduler scheduler(config.schedule, config.epochs, steps);
  for (const EpochStats& e : history) scheduler.epoch_end(e.val_loss.value_or(e.loss));  // a resumed plateau
  EpochWatch watch(config, hooks.resume ? hooks.resume->best : std::nullopt);
  const dist::Communicator* comm = hooks.comm && hooks.comm->size() > 1 ? hooks.comm : nullptr;
  std::optional<DataParallel> parallel;
  if (comm) parallel.emplace(*comm);
  // The samples of a batch this process reads: its share when data-parallel.
  const data::BatchRows own_rows =
      comm ? data::BatchRows([comm](std::span<const std::uint32_t> rows) {
        const dist::Share share = dist::share_of(rows.size(), comm->rank(), comm->size());
        return rows.subspan(share.first, share.size());
      })
           : data::BatchRows{};

  for (int epoch = (hooks.resume ? hooks.resume->epochs_done : 0) + 1;
       epoch <= config.epochs && !watch.state().stopped; ++epoch) {
    const auto start = Clock::now();
    const double compiled_before = executor.compile_seconds();
    progress.epoch_begin(epoch, config.epochs, static_cast<std::int64_t>(steps));
    const std::vector<std::uint32_t> order = data::epoch_order(n, buffer, seed, static_cast<std::uint32_t>(epoch));
    double loss_sum = 0, correct = 0;
    std::size_t seen = 0, delivered = 0;  // samples counted; samples read (NaN steps skipped with on_nan continue)
    for (std::size_t b = 0; b < steps; ++b) {
      const auto indices = data::batch_indices(order, batch, b);
      // An image folder decodes the next batches meanwhile (a data-parallel
      // process: its share of them).
      data::prefetch_batches(data, order, batch, b, 2, own_rows);
      const data::AugmentDraw draw{seed, static_cast<std::uint32_t>(epoch)};
      double loss = 0, right = 0;
      std::size_t count = 0;  // less than the batch when bad image files are skipped
      if (parallel) {
        const exec::StepContext ctx{seed, step_counter + 1, scheduler.factor(epoch, b)};
        const GlobalStep g = parallel->step(executor, state, data, indices.data(), indices.size(), draw, config, ctx, graphs, buffers);
        if (g.samples == 0) continue;
        ++step_counter;
        loss = g.loss, right = g.correct, count = g.samples;
      } else {
        const exec::Feeds feeds = buffers.fill(data, indices.data(), indices.size(), &draw);
        count = buffers.count;
        if (count == 0) continue;
        const auto& step = graphs.get(*state.spec, lower::StepKind::Train, static_cast<std::int64_t>(count), config);
        const exec::StepContext ctx{seed, ++step_counter, scheduler.factor(epoch, b)};
        const auto outputs = executor.run(step.graph, state.vars, feeds, ctx);
        loss = outputs.at("loss").data()[0];
        right = outputs.at("correct").data()[0];
      }
      delivered += count;
      // Numerical guard: a non-finite loss or weight stops training, naming
      // where it happened (or, with on_nan continue, is reported once).
      const std::string bad = std::isfinite(loss) ? first_non_finite(state) : "the loss";
      if (!bad.empty()) {
        const std::string message = bad + " became " + (std::isfinite(loss) ? "non-finite" : std::to_string(loss)) +
                                    " at epoch " + std::to_string(epoch) + ", step " + std::to_string(b + 1) +
                                    " (update " + std::to_string(step_counter) + ")";
        if (!config.continue_on_nan) {
          if (comm) dist::fail_everywhere(*comm);  // the same weights and sums on every process
          throw std::runtime_error(message + "; lower the learning rate or check the data's scale "
                                             "(on_nan continue keeps going)");
        }
        if (!warned) progress.warning(message + "; continuing (on_nan continue)");
        warned = true;
        if (!std::isfinite(loss)) continue;
      }
      loss_sum += loss * static_cast<double>(count);
      correct += right;
      seen += count;
      progress.step(static_cast<std::int64_t>(b + 1), loss_sum / static_cast<double>(seen),
                    correct / static_cast<double>(seen));
      if (hooks.should_stop && hooks.should_stop())
        throw Interrupted("interrupted at epoch " + std::to_string(epoch) + ", step " + std::to_string(b + 1));
    }
    if (delivered == 0)
      throw std::runtime_error("no sample of the training data could be read in epoch " + std::to_string(epoch) +
                               " (every image file failed to decode and was skipped)");
    EpochStats stats;
    stats.epoch = epoch;
    stats.loss = loss_sum / static_cast<double>(seen);
    stats.accuracy = correct / static_cast<double>(seen);
    stats.steps = static_cast<std::int64_t>(steps);
    stats.samples = static_cast<std::int64_t>(seen);
    if (validation) {
      const EvalStats v = evaluate(executor, state, *validation, config.batch, config, &graphs, nullptr, comm);
      stats.val_loss = v.loss;
      stats.val_accuracy = v.accuracy;
    }
    stats.seconds = seconds_since(start);
    stats.compile_seconds = executor.compile_seconds() - compiled_before;
    stats.lr_scale = scheduler.factor(epoch, 0);
    scheduler.epoch_end(stats.val_loss.value_or(stats.loss));
    progress.epoch_end(stats);
    history.push_back(stats);
    if (watch.active() && watch.observe(stats)) {
      if (watch.keeps_weights()) watch.state().weights = weights_of(state);
      if (hooks.on_best) hooks.on_best(state, stats);
    }
    if (watch.state().stopped)
      progress.note("Early stop after epoch " + std::to_string(epoch) + ": " + watch.stop_reason());
    if (hooks.on_epoch_end)
      hooks.on_epoch_end({epoch, step_counter, history, watch.active() ? std::optional<BestEpoch>(watch.state()) : std::nullopt});
  }
  FitResult result{std::move(history), std::nullopt, false};
  if (watch.active()) {
    BestEpoch& best = watch.state();
    if (watch.keeps_weights() && best.epoch > 0 && best.epoch != result.history.back().epoch) {
      for (auto& [name, t] : best.weights.tensors) state.vars.tensors[name] = std::move(t);
      result.restored = true;
      progress.note(fmt::format("Restored the weights of epoch {} ({} {:.4f})", best.epoch,
                                check::metric_name(config.early_stop->monitor), best.value));
    }
    best.weights.tensors.clear();
    result.best = best;
  }
  return result;
}

EvalStats evaluate(exec::Executor& executor, ModelState& state, const data::Dataset& data, std::int64_t batch,
                   const check::TrainConfig& config, StepGraphs* graphs, Predictions* predictions,
                   const dist::Communicator* comm) {
  const auto start = Clock::now();
  StepGraphs own;
  StepGraphs& cache = graphs ? *graphs : own;
  BatchBuffers buffers;
  // Data-parallel: each process its contiguous share of the samples, then
  // the sums (and the predictions, in sample order) over the processes.
  const bool sharded = comm && comm->size() > 1;
  const dist::Share share = sharded ? dist::share_of(data.size(), comm->rank(), comm->size()) : dist::Share{0, data.size()};
  std::vector<std::uint32_t> order(share.size());
  std::iota(order.begin(), order.end(), static_cast<std::uint32_t>(share.first));
  const std::size_t steps = data::batch_count(order.size(), static_cast<std::size_t>(batch));
  double loss_sum = 0, correct = 0;
  std::size_t seen = 0;
  std::exception_ptr failure;  // sharded: this process's error, reported to all before the sums
  try {
    for (std::size_t b = 0; b < steps; ++b) {
      const auto indices = data::batch_indices(order, static_cast<std::size_t>(batch), b);
      data::prefetch_batches(data, order, static_cast<std::size_t>(batch), b);
      const exec::Feeds feeds = buffers.fill(data, indices.data(), indices.size());
      const std::size_t count = buffers.count;  // less than the batch when bad image files are skipped
      if (count == 0) continue;
      const auto& step = cache.get(*state.spec, lower::StepKind::Eval, static_cast<std::int64_t>(count), config);
      const auto outputs = executor.run(step.graph, state.vars, feeds, {});
      loss_sum += outputs.at("loss").data()[0] * static_cast<double>(count);
      correct += outputs.at("correct").data()[0];
      seen += count;
      if (predictions) {
        const Tensor& s = outputs.at("scores");
        predictions->scores.insert(predictions->scores.end(), s.data(), s.data() + s.size());
        for (std::size_t k = 0; k < count; ++k) {
          predictions->samples.push_back(buffers.kept[k]);
          predictions->labels.push_back(data.labels[buffers.kept[k]]);
        }
      }
    }
  } catch (...) {
    if (!sharded) throw;
    failure = std::current_exception();
  }
  if (sharded) {
    dist::agree_on_failure(*comm, failure);
    std::vector<double> sums = {loss_sum, correct, static_cast<double>(seen)};
    dist::sum_in_rank_order(*comm, sums);
    loss_sum = sums[0], correct = sums[1], seen = static_cast<std::size_t>(sums[2]);
    if (predictions) {
      predictions->scores = dist::gather_all(*comm, predictions->scores);
      predictions->samples = dist::gather_all(*comm, predictions->samples);
      predictions->labels = dist::gather_all(*comm, predictions->labels);
    }
  }
  EvalStats stats;
  stats.samples = static_cast<std::int64_t>(seen);
  stats.loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
  stats.accuracy = seen ? correct / static_cast<double>(seen) : 0.0;
  stats.seconds = seconds_since(start);
  return stats;
}

}  // namespace tl::train
