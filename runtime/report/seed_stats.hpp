// Statistics over repeated runs (one figure per seed): the mean with its
// standard deviation and a 95% confidence interval (Student's t), and the
// paired t-test a comparison's verdict uses: baseline and candidate measured
// on the same seeds, so each seed gives one difference.
#pragma once

#include <cstddef>
#include <vector>

namespace tl::report {

/// P(T <= t) for Student's t distribution with `df` > 0 degrees of freedom.
double student_t_cdf(double t, double df);

/// The t with student_t_cdf(t, df) == p, for 0 < p < 1.
double student_t_quantile(double p, double df);

struct SeedSummary {
  std::size_t n = 0;
  double mean = 0, sd = 0;          ///< sd: the sample standard deviation (n - 1); 0 for n < 2
  double ci_low = 0, ci_high = 0;   ///< 95% confidence interval of the mean (equal to the mean for n < 2)
};

/// Mean, sample standard deviation and the 95% interval mean ± t(0.975, n-1) · sd / sqrt(n).
SeedSummary summarize(const std::vector<double>& values);

struct PairedTest {
  std::size_t n = 0;
  double mean = 0, sd = 0;         ///< of the differences candidate - baseline
  double ci_low = 0, ci_high = 0;  ///< 95% confidence interval of the mean difference
  double t = 0;                    ///< mean / (sd / sqrt(n)); ±infinity when every difference is the same non-zero value
  double p = 1;                    ///< two-sided p-value (1 for n < 2)
  /// The interval excludes zero (p < 0.05): the difference is not seed noise.
  bool significant() const { return n >= 2 && (ci_low > 0 || ci_high < 0); }
};

/// The paired t-test of candidate[i] - baseline[i] (same length, i a seed).
/// Throws std::invalid_argument when the lengths differ.
PairedTest paired_t_test(const std::vector<double>& baseline, const std::vector<double>& candidate);

}  // namespace tl::report
