// One data-parallel train step (see data_parallel.hpp).
#include "runtime/train/data_parallel.hpp"

#include <algorithm>
#include <cstdio>

#include "runtime/dist/failure.hpp"
#include "runtime/train/trainer.hpp"

namespace tl::train {

void ShardCollectives::process_mean(const float* in, float* out, std::size_t n) noexcept {
  ++calls_;
  try {
    std::vector<double> v(n + 1, 0.0);
    v[0] = rows_;
    if (in)
      for (std::size_t i = 0; i < n; ++i) v[i + 1] = rows_ * static_cast<double>(in[i]);
    dist::sum_in_rank_order(comm_, v);
    if (out)
      for (std::size_t i = 0; i < n; ++i) out[i] = v[0] > 0 ? static_cast<float>(v[i + 1] / v[0]) : 0.0f;
  } catch (const std::exception& e) {
    // The processes' collectives are out of step (or memory ran out inside
    // one): no later call could pair up again. End the job.
    std::fprintf(stderr, "tl: a collective of a data-parallel step failed: %s\n", e.what());
    comm_.abort(3);
  } catch (...) {
    std::fprintf(stderr, "tl: a collective of a data-parallel step failed\n");
    comm_.abort(3);
  }
}

GlobalStep DataParallel::step(exec::Executor& executor, ModelState& state, const data::Dataset& data,
                              const std::uint32_t* indices, std::size_t n, const data::AugmentDraw& draw,
                              const check::TrainConfig& config, exec::StepContext ctx, StepGraphs& graphs,
                              BatchBuffers& buffers) {
  const check::ModelSpec& model = *state.spec;
  if (!initialised_) {
    initialised_ = true;
    // What the gradient half outputs, which statistics it moves and which
    // process_means it runs (in the order every executor runs them: the
    // graph's), from its graph at any batch (the lowering alone).
    const lower::StepGraph& g = graphs.get(model, lower::StepKind::Gradients, 1, config);
    for (const auto& [name, id] : g.graph.outputs())
      if (name.rfind("grad:", 0) == 0) gradients_.emplace_back(name.substr(5), g.graph.node(id).shape);
    std::sort(gradients_.begin(), gradients_.end());
    for (const ir::NodeId e : g.graph.effects()) statistics_.push_back(g.graph.node(g.graph.node(e).inputs[0]).name);
    std::sort(statistics_.begin(), statistics_.end());
    for (std::size_t i = 0; i < g.graph.size(); ++i)
      if (g.graph.node(static_cast<ir::NodeId>(i)).op == ir::OpKind::ProcessMean)
        collectives_.push_back(static_cast<std::size_t>(ir::element_count(g.graph.node(static_cast<ir::NodeId>(i)).shape)));
    apply_ = lower::build_apply(model, config, gradients_);
  }
  // 1. This process's rows of the batch: count, loss sum, correct, failed,
  //    without rows, then each gradient times the count (the step's gradient
  //    is the share's mean). Batchnorm's statistics are the whole batch's
  //    (process_mean inside the step). An error here is reported in the sums
  //    (every process then throws), after this process has taken part in the
  //    step's collectives with zero rows.
  const dist::Share share = dist::share_of(n, comm_.rank(), comm_.size());
  constexpr std::size_t kHead = 5;
  std::size_t total_size = kHead;
  for (const auto& [name, shape] : gradients_) total_size += static_cast<std::size_t>(ir::element_count(shape));
  std::vector<double> sums(total_size, 0.0);
  std::size_t count = 0;
  std::exception_ptr failure;
  std::optional<ShardCollectives> collectives;
  // The moving statistics before the step: should any process fail, every
  // process goes back to them (the others' steps moved theirs).
  std::vector<Tensor> statistics_before;
  for (const std::string& s : statistics_)
    if (const auto it = state.vars.tensors.find(s); it != state.vars.tensors.end()) statistics_before.push_back(it->second);
  try {
    exec::Feeds feeds;
    if (share.size() > 0) {
      feeds = buffers.fill(data, indices + share.first, share.size(), &draw);
      count = buffers.count;
    }
    collectives.emplace(comm_, static_cast<double>(count));
    if (count > 0) {
      const auto& g = graphs.get(model, lower::StepKind::Gradients, static_cast<std::int64_t>(count), config);
      exec::StepContext shard = ctx;
      shard.row_offset = share.first;
      shard.collectives = &*collectives;
      const auto outputs = executor.run(g.graph, state.vars, feeds, shard);
      const double c = static_cast<double>(count);
      sums[0] = c;
      sums[1] = outputs.at("loss").data()[0] * c;
      sums[2] = outputs.at("correct").data()[0];
      std::size_t at = kHead;
      for (const auto& [name, shape] : gradients_) {
        const Tensor& t = outputs.at(lower::gradient_output(name));
        for (std::size_t i = 0; i < t.size(); ++i) sums[at + i] = static_cast<double>(t.data()[i]) * c;
        at += t.size();
      }
    }
  } catch (...) {
    failure = std::current_exception();
    std::fill(sums.begin(), sums.end(), 0.0);
    count = 0;
    if (collectives) collectives->withdraw();  // the rest of its collectives with zero rows
  }
  if (!collectives) collectives.emplace(comm_, 0.0);
  for (std::size_t k = collectives->calls(); k < collectives_.size(); ++k)
    collectives->process_mean(nullptr, nullptr, collectives_[k]);
  sums[3] = failure ? 1 : 0;
  sums[4] = count == 0 ? 1 : 0;
  // 2. Added over the processes, rank 0 first.
  dist::sum_in_rank_order(comm_, sums);
  if (sums[3] > 0) {
    if (statistics_before.size() == statistics_.size())
      for (std::size_t k = 0; k < statistics_.size(); ++k) state.vars.tensors[statistics_[k]] = statistics_before[k];
    dist::agree_on_failure(comm_, failure);  // throws on every process
  }
  GlobalStep result;
  result.samples = static_cast<std::size_t>(sums[0]);
  if (result.samples == 0) return result;
  result.loss = sums[1] / sums[0];
  result.correct = sums[2];
  // 3. The whole batch's mean gradient, applied by every process alike.
  std::size_t at = kHead;
  for (const auto& [name, shape] : gradients_) {
    Tensor t = Tensor::from_shape(std::vector<std::size_t>(shape.begin(), shape.end()));
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(sums[at + i] / sums[0]);
    at += t.size();
    state.vars.tensors[lower::gradient_output(name)] = std::move(t);
  }
  executor.run(apply_->graph, state.vars, {}, ctx);
  for (const auto& [name, shape] : gradients_) state.vars.tensors.erase(lower::gradient_output(name));
  // 4. Moving statistics: every process that read rows moved them alike (the
  //    whole batch's statistics); one that read none takes theirs (their
  //    mean, which equals each of them: k equal floats added in double and
  //    divided by k give the float back).
  if (!statistics_.empty() && sums[4] > 0) {
    std::size_t stats_size = 1;
    for (const std::string& s : statistics_) stats_size += state.vars.tensors.at(s).size();  // initialise() made them
    std::vector<double> stats(stats_size, 0.0);
    if (count > 0) {
      stats[0] = 1;
      std::size_t k = 1;
      for (const std::string& s : statistics_) {
        const Tensor& t = state.vars.tensors.at(s);
        for (std::size_t i = 0; i < t.size(); ++i) stats[k + i] = t.data()[i];
        k += t.size();
      }
    }
    dist::sum_in_rank_order(comm_, stats);
    std::size_t k = 1;
    for (const std::string& s : statistics_) {
      Tensor& t = state.vars.tensors.at(s);
      for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(stats[k + i] / stats[0]);
      k += t.size();
    }
  }
  return result;
}

}  // namespace tl::train
