// Statistics over seeds (runtime/report/seed_stats.hpp) against published
// values: Student's t quantiles from the standard two-sided table, the CDF
// where it has a closed form (df 1: the Cauchy distribution; df 2), and a
// paired t-test worked by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "runtime/report/seed_stats.hpp"

using namespace tl::report;

TEST_CASE("seed stats: Student's t quantiles match the table") {
  // t(0.975, df), the 95% two-sided critical values.
  const std::vector<std::pair<double, double>> table = {{1, 12.7062}, {2, 4.3027}, {3, 3.1824}, {4, 2.7764},
                                                        {5, 2.5706},  {9, 2.2622}, {29, 2.0452}, {1000, 1.9623}};
  for (const auto& [df, t] : table) {
    CAPTURE(df);
    CHECK(student_t_quantile(0.975, df) == doctest::Approx(t).epsilon(1e-4));
    CHECK(student_t_quantile(0.025, df) == doctest::Approx(-t).epsilon(1e-4));
  }
  CHECK(student_t_quantile(0.5, 7) == doctest::Approx(0.0).scale(1));
  CHECK_THROWS_AS(student_t_quantile(1.0, 3), std::invalid_argument);
}

TEST_CASE("seed stats: the t CDF in closed form for 1 and 2 degrees of freedom") {
  for (double t : {-30.0, -2.5, -0.3, 0.0, 0.7, 1.0, 4.0, 100.0}) {
    CAPTURE(t);
    CHECK(student_t_cdf(t, 1) == doctest::Approx(0.5 + std::atan(t) / M_PI).epsilon(1e-12));
    CHECK(student_t_cdf(t, 2) == doctest::Approx(0.5 + t / (2 * std::sqrt(2 + t * t))).epsilon(1e-12));
  }
  CHECK(student_t_cdf(std::numeric_limits<double>::infinity(), 3) == 1.0);
}

TEST_CASE("seed stats: mean, sample sd and the 95% interval") {
  const SeedSummary s = summarize({0.91, 0.93, 0.92, 0.95, 0.94});
  CHECK(s.n == 5);
  CHECK(s.mean == doctest::Approx(0.93));
  CHECK(s.sd == doctest::Approx(std::sqrt(0.001 / 4)));  // squares: 4+0+1+4+1 (x 1e-4)
  const double half = 2.7764 * s.sd / std::sqrt(5.0);
  CHECK(s.ci_low == doctest::Approx(0.93 - half).epsilon(1e-4));
  CHECK(s.ci_high == doctest::Approx(0.93 + half).epsilon(1e-4));
  const SeedSummary one = summarize({0.5});
  CHECK(one.sd == 0);
  CHECK(one.ci_low == 0.5);
}

TEST_CASE("seed stats: the paired t-test of differences per seed") {
  // Differences 2, 1, 3, 2, 2 (points): mean 2, sd sqrt(0.5), t = 2 / (sqrt(0.5) / sqrt(5)) = 6.3246, df 4.
  const std::vector<double> base = {90, 91, 89, 92, 90}, cand = {92, 92, 92, 94, 92};
  const PairedTest t = paired_t_test(base, cand);
  CHECK(t.n == 5);
  CHECK(t.mean == doctest::Approx(2.0));
  CHECK(t.sd == doctest::Approx(std::sqrt(0.5)));
  CHECK(t.t == doctest::Approx(6.3246).epsilon(1e-4));
  CHECK(t.p == doctest::Approx(0.0032).epsilon(0.02));  // two-sided, df 4 (table: 0.0032)
  CHECK(t.significant());
  // Seeds that disagree: not significant.
  const PairedTest noisy = paired_t_test({90, 91, 89, 92, 90}, {92, 89, 91, 90, 91});
  CHECK_FALSE(noisy.significant());
  CHECK(noisy.p > 0.5);
  // The same difference on every seed.
  const PairedTest same = paired_t_test({1, 2, 3}, {2, 3, 4});
  CHECK(std::isinf(same.t));
  CHECK(same.p == 0);
  CHECK(same.significant());
  CHECK_THROWS_AS(paired_t_test({1, 2}, {1}), std::invalid_argument);
  // A tiny p keeps its digits: df 2 has the closed form p = 1 - t / sqrt(t^2 + 2)
  // = 2 / ((sqrt(t^2 + 2) + t) sqrt(t^2 + 2)), about 1 / t^2 = 3e-19 here.
  const PairedTest huge = paired_t_test({0, 0, 0}, {1e9 + 1, 1e9, 1e9 - 1});
  const double r = std::sqrt(huge.t * huge.t + 2);
  CHECK(huge.p > 0);
  CHECK(huge.p == doctest::Approx(2 / ((r + huge.t) * r)).epsilon(1e-6));
}
