// Prediction over a dataset; see predict.hpp.
#include "runtime/train/predict.hpp"

#include <map>
#include <numeric>
#include <stdexcept>

#include "compiler/lower/step_graph.hpp"
#include "runtime/train/batch_buffers.hpp"

namespace tl::train {

Predictions predict(exec::Executor& executor, ModelState& state, const data::Dataset& data, std::int64_t batch) {
  const check::ModelSpec& spec = *state.spec;
  const std::size_t classes = spec.outputs();
  Predictions out;
  out.scores.reserve(data.size() * classes);
  std::vector<std::uint32_t> order(data.size());
  std::iota(order.begin(), order.end(), 0u);
  std::map<std::int64_t, lower::StepGraph> graphs;  // by batch size: two, or a few more when files are skipped
  BatchBuffers buffers;
  for (std::size_t b = 0, steps = data::batch_count(data.size(), static_cast<std::size_t>(batch)); b < steps; ++b) {
    const auto indices = data::batch_indices(order, static_cast<std::size_t>(batch), b);
    data::prefetch_batches(data, order, static_cast<std::size_t>(batch), b);
    const exec::Feeds feeds = buffers.fill(data, indices.data(), indices.size());
    const auto n = static_cast<std::int64_t>(buffers.count);
    if (n == 0) continue;
    auto it = graphs.find(n);
    if (it == graphs.end()) it = graphs.emplace(n, lower::build_step(spec, n, lower::StepKind::Predict, nullptr)).first;
    const auto result = executor.run(it->second.graph, state.vars, feeds, {});
    const Tensor& s = result.at("scores");
    out.scores.insert(out.scores.end(), s.data(), s.data() + s.size());
    for (std::size_t k = 0; k < buffers.count; ++k) {
      out.samples.push_back(buffers.kept[k]);
      out.labels.push_back(data.labels[buffers.kept[k]]);
    }
  }
  return out;
}

std::vector<float> predict_scores(exec::Executor& executor, ModelState& state, const data::Dataset& data,
                                  std::int64_t batch) {
  Predictions p = predict(executor, state, data, batch);
  if (p.samples.size() != data.size())  // one score row per sample: nothing may be left out
    throw std::logic_error("predict_scores: a sample could not be read");
  return std::move(p.scores);
}

}  // namespace tl::train
