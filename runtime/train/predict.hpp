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

/// Scores of the samples that could be read, with their labels and indices.
struct Predictions {
  std::vector<float> scores;           ///< samples x classes, row-major
  std::vector<std::int32_t> labels;    ///< per sample read
  std::vector<std::uint32_t> samples;  ///< the dataset index of each row
};

/// Every sample's class scores (probabilities for a softmax model), in
/// dataset order; a sample an image folder skips (on_error = skip) is left
/// out. The data's samples must have the model's input shape.
Predictions predict(exec::Executor& executor, ModelState& state, const data::Dataset& data, std::int64_t batch);

/// data.size() x classes scores, row-major: predict() of data that skips
/// nothing (std::logic_error if a sample could not be read).
std::vector<float> predict_scores(exec::Executor& executor, ModelState& state, const data::Dataset& data,
                                  std::int64_t batch);

}  // namespace tl::train
