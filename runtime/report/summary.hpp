// A Keras-style model summary: the table Keras' model.summary() prints, with
// the same columns, counts and layout (a sequential table for chains, a
// functional one with an InputLayer row and "Connected to" for graphs).
#pragma once

#include <set>
#include <vector>
#include <string>

#include "compiler/check/experiment.hpp"

namespace tl::report {

/// `frozen` names tensors ("<layer>/<param>") that count as non-trainable.
std::string summary(const check::ModelSpec& model, const std::set<std::string>& frozen = {});

/// For a derived model: every parameter tensor, where it came from
/// ("source.dense/kernel" or "fresh") and whether it is trained.
/// `model_names[i]` is the name of experiment model i.
std::string manifest(const check::ModelSpec& model, const std::vector<std::string>& model_names);

/// 25577 -> "25,577"
std::string thousands(std::int64_t n);

}  // namespace tl::report
