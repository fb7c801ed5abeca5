// Lowering a checked model to the static graph of one step kind:
//   train:   forward (dropout on, batch statistics) -> loss -> backward
//            (only to trainable params) -> optimizer updates + batchnorm
//            moving averages; outputs "loss" and "correct".
//   eval:    forward (dropout off, moving statistics) -> loss; outputs
//            "loss", "correct" and "scores".
//   predict: forward only; output "scores" (probabilities for a softmax model).
//   gradients: a data-parallel train step's first half: train's forward,
//            loss and backward, with each trainable tensor's gradient as the
//            output "grad:<tensor>" (and the batchnorm moving averages);
//            build_apply makes the second half.
// The batch size is part of the graph (shapes are static), so a run keeps one
// graph per distinct batch size (the last partial batch has its own).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "compiler/check/experiment.hpp"
#include "compiler/ir/graph.hpp"

namespace tl::lower {

enum class StepKind { Train, Eval, Predict, Gradients };

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

/// The output name of tensor `tensor`'s gradient in a Gradients step, and
/// the State a build_apply step reads it from: "grad:<tensor>".
std::string gradient_output(const std::string& tensor);

/// A data-parallel train step's second half: for each (tensor, shape) of
/// `gradients`, the Param and its summed gradient as the State
/// gradient_output(tensor); clipping, the optimizer's updates and the
/// learning-rate multipliers exactly as a Train step appends them.
StepGraph build_apply(const check::ModelSpec& model, const check::TrainConfig& train,
                      const std::vector<std::pair<std::string, ir::Shape>>& gradients);

}  // namespace tl::lower
