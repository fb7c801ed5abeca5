// Lowering a checked model to the static graph of one step kind:
//   train:   forward (dropout on, batch statistics) -> loss -> backward
//            (only to trainable params) -> optimizer updates + batchnorm
//            moving averages; outputs "loss" and "correct".
//   eval:    forward (dropout off, moving statistics) -> loss; outputs
//            "loss", "correct" and "scores".
//   predict: forward only; output "scores" (probabilities for a softmax model).
// The batch size is part of the graph (shapes are static), so a run keeps one
// graph per distinct batch size (the last partial batch has its own).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "compiler/check/experiment.hpp"
#include "compiler/ir/graph.hpp"

namespace tl::lower {

enum class StepKind { Train, Eval, Predict };

struct StepGraph {
  ir::Graph graph;
  std::vector<ir::NodeId> trainable;  // Params that get gradients and updates
  std::vector<ir::NodeId> frozen;     // Params that stay as they are
};

/// Pre: `model` was produced by the checker. `train` is required for Train
/// and Eval (loss), ignored for Predict.
/// `frozen` names tensors ("<layer>/<param>") that must not be trained.
StepGraph build_step(const check::ModelSpec& model, std::int64_t batch, StepKind kind,
                     const check::TrainConfig* train, const std::set<std::string>& frozen = {});

}  // namespace tl::lower
