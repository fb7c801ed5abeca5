// Prediction over a dataset: class scores for every sample, in dataset order,
// batch by batch through the model's predict graph (no labels needed: an
// unlabelled image folder is fine).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/data/dataset.hpp"
#include "runtime/exec/executor.hpp"
#include "runtime/train/model_state.hpp"

namespace tl::train {

/// data.size() x classes scores, row-major (probabilities for a softmax
/// model). The data's samples must have the model's input shape.
std::vector<float> predict_scores(exec::Executor& executor, ModelState& state, const data::Dataset& data,
                                  std::int64_t batch);

}  // namespace tl::train
