// Per-class figures (runtime/report/class_metrics.hpp) on examples worked by
// hand: the confusion matrix, precision/recall/F1 with a class never
// predicted and a class never present, ties, top-k, and the CSV.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "runtime/report/class_metrics.hpp"

using namespace tl::report;

TEST_CASE("class metrics: confusion, precision, recall, F1 and their averages") {
  // 3 classes, 6 samples: true 0 0 1 1 2 2; predicted 0 1 1 1 0 1.
  const std::vector<float> scores = {0.9f, 0.1f, 0.0f,  0.2f, 0.7f, 0.1f,  0.1f, 0.8f, 0.1f,
                                     0.3f, 0.6f, 0.1f,  0.5f, 0.2f, 0.3f,  0.1f, 0.5f, 0.4f};
  const std::vector<std::int32_t> labels = {0, 0, 1, 1, 2, 2};
  const ClassMetrics m = class_metrics(scores, labels, 3, 2);
  CHECK(m.confusion == std::vector<std::int64_t>{1, 1, 0, 0, 2, 0, 1, 1, 0});
  CHECK(m.support == std::vector<std::int64_t>{2, 2, 2});
  CHECK(m.accuracy == doctest::Approx(0.5));
  // class 0: predicted twice (1 right): P 1/2, R 1/2; class 1: predicted 4 times (2 right): P 1/2, R 1;
  // class 2: never predicted: P 0 (zero division), R 0, F1 0.
  CHECK(m.precision == std::vector<double>{0.5, 0.5, 0.0});
  CHECK(m.recall == std::vector<double>{0.5, 1.0, 0.0});
  CHECK(m.f1[0] == doctest::Approx(0.5));
  CHECK(m.f1[1] == doctest::Approx(2.0 / 3));
  CHECK(m.f1[2] == 0.0);
  CHECK(m.macro_precision == doctest::Approx(1.0 / 3));
  CHECK(m.macro_recall == doctest::Approx(0.5));
  CHECK(m.macro_f1 == doctest::Approx((0.5 + 2.0 / 3) / 3));
  CHECK(m.weighted_f1 == doctest::Approx((0.5 + 2.0 / 3) / 3));  // equal supports
  // top-2: every sample's true class is among its two best (samples 1, 4 and 5 second): 6 of 6.
  CHECK(m.top_k == 2);
  CHECK(m.top_k_accuracy == doctest::Approx(1.0));
  CHECK(confusion_csv(m, {"cat", "dog", ""}) == "true \\ predicted,cat,dog,2\ncat,1,1,0\ndog,0,2,0\n2,1,1,0\n");
}

TEST_CASE("class metrics: ties go to the first class, top-k counts strictly higher scores") {
  const std::vector<float> scores = {0.4f, 0.4f, 0.2f,  0.1f, 0.3f, 0.3f};
  CHECK(predicted_classes(scores, 3) == std::vector<std::int32_t>{0, 1});
  // Sample 2 is class 2: no class scores strictly higher (class 1 ties), so it is within the top 1.
  const ClassMetrics m = class_metrics(scores, {1, 2}, 3, 1);
  CHECK(m.accuracy == 0.0);
  CHECK(m.top_k_accuracy == doctest::Approx(1.0));
  CHECK(m.support == std::vector<std::int64_t>{0, 1, 1});
  CHECK(m.recall[0] == 0.0);  // no samples of class 0: zero division
  CHECK(m.weighted_f1 == doctest::Approx(0.0));
  CHECK_THROWS_AS(class_metrics(scores, {1, 3}, 3, 0), std::invalid_argument);
  CHECK_THROWS_AS(class_metrics(scores, {1}, 3, 0), std::invalid_argument);
}
