// Prediction over a dataset; see predict.hpp.
#include "runtime/train/predict.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <stdexcept>

#include "compiler/lower/step_graph.hpp"
#include "runtime/train/batch_buffers.hpp"

namespace tl::train {

std::vector<float> predict_scores(exec::Executor& executor, ModelState& state, const data::Dataset& data,
                                  std::int64_t batch) {
  const check::ModelSpec& spec = *state.spec;
  const std::size_t classes = spec.outputs();
  std::vector<float> scores(data.size() * classes);
  std::vector<std::uint32_t> order(data.size());
  std::iota(order.begin(), order.end(), 0u);
  std::map<std::int64_t, lower::StepGraph> graphs;  // by batch size: at most two
  BatchBuffers buffers;
  for (std::size_t b = 0, steps = data::batch_count(data.size(), static_cast<std::size_t>(batch)); b < steps; ++b) {
    const auto indices = data::batch_indices(order, static_cast<std::size_t>(batch), b);
    const auto n = static_cast<std::int64_t>(indices.size());
    auto it = graphs.find(n);
    if (it == graphs.end()) it = graphs.emplace(n, lower::build_step(spec, n, lower::StepKind::Predict, nullptr)).first;
    data::prefetch_batches(data, order, static_cast<std::size_t>(batch), b);
    const exec::Feeds feeds = buffers.fill(data, indices.data(), indices.size());
    if (buffers.count != indices.size())  // one score row per sample: nothing may be left out
      throw std::logic_error("predict_scores: a sample could not be read");
    const auto out = executor.run(it->second.graph, state.vars, feeds, {});
    const Tensor& s = out.at("scores");
    std::memcpy(scores.data() + b * static_cast<std::size_t>(batch) * classes, s.data(), s.size() * sizeof(float));
  }
  return scores;
}

}  // namespace tl::train
