// Per-class figures of an evaluation, from the model's class scores: the
// confusion matrix, each class's precision, recall and F1, their macro and
// support-weighted averages, and top-k accuracy.
//
// Definitions (as scikit-learn's, with zero_division = 0):
// - predicted class: the highest score, the first on a tie (numpy's argmax);
// - confusion[t][p]: samples of true class t predicted as p;
// - precision(c) = confusion[c][c] / (samples predicted c), 0 when none is;
//   recall(c) = confusion[c][c] / (samples of class c), 0 when there are none;
//   F1 = 2 P R / (P + R), 0 when both are 0;
// - macro: the plain mean over classes; weighted: weighted by support (the
//   samples of each class);
// - top-k: the sample's class scores among the k best, that is fewer than
//   k classes score strictly higher.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tl::report {

struct ClassMetrics {
  std::size_t classes = 0, samples = 0;
  std::vector<std::int64_t> confusion;  ///< classes x classes, row = true class, column = predicted
  std::vector<double> precision, recall, f1;
  std::vector<std::int64_t> support;    ///< samples of each true class
  double accuracy = 0, macro_precision = 0, macro_recall = 0, macro_f1 = 0, weighted_f1 = 0;
  int top_k = 0;                        ///< 0: not computed
  double top_k_accuracy = 0;
};

/// The figures of `samples` rows of `classes` scores and their labels (each
/// in 0 .. classes-1; std::invalid_argument otherwise). `top_k` 0 skips top-k.
ClassMetrics class_metrics(const std::vector<float>& scores, const std::vector<std::int32_t>& labels,
                           std::size_t classes, int top_k);

/// The predicted class of each row of scores (numpy's argmax).
std::vector<std::int32_t> predicted_classes(const std::vector<float>& scores, std::size_t classes);

/// The confusion matrix as CSV: a header `true \ predicted,NAME,...`, then a
/// row per true class. `names` has a name per class, or is empty (numbers).
std::string confusion_csv(const ClassMetrics& m, const std::vector<std::string>& names);

/// Per-class lines for the console: class, precision, recall, F1, support,
/// then the macro and weighted averages.
std::string render_class_metrics(const ClassMetrics& m, const std::vector<std::string>& names);

}  // namespace tl::report
