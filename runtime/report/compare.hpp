// The comparison report: models side by side on one dataset, answering "did
// transfer help?" in numbers. For each model: test accuracy and loss, train
// accuracy (on its last training set, dropout off), the generalisation gap
// (train accuracy - test accuracy), when it converged, and training time.
//
// Convergence: the first epoch whose training accuracy reaches 99% of the
// best training accuracy of that training run (docs/report.md); steps =
// that epoch x steps per epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/train/trainer.hpp"

namespace tl::report {

struct CompareRow {
  std::string model;
  train::EvalStats test;
  std::optional<train::EvalStats> train;  // absent for a model never trained
  std::vector<train::EpochStats> history; // of its last training
  std::string train_data;
};

struct CompareRowStats {
  double gap = 0;                 // train accuracy - test accuracy
  int converged_epoch = 0;        // 0 when never trained
  std::int64_t converged_step = 0;
  double train_seconds = 0;    // the epochs' wall time without compiling
  double compile_seconds = 0;  // compiling its steps (JIT)
};

CompareRowStats stats_of(const CompareRow& row);

struct Comparison {
  std::string data;  // the dataset the models are compared on
  std::vector<CompareRow> rows;  // rows[0] is the baseline
};

/// The table and the verdict lines ("transfer vs scratch: +0.72 points ...").
/// A difference is "better"/"worse" only beyond two standard errors of the
/// difference of two accuracies on the test set (2·sqrt(2·p(1-p)/n)).
std::string render_table(const Comparison& c);

/// One CSV row per model: model,test_accuracy,test_loss,train_accuracy,gap,...
std::string render_csv(const Comparison& c);

}  // namespace tl::report
