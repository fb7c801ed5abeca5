// Statistics over seeds; see seed_stats.hpp.
#include "runtime/report/seed_stats.hpp"

#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace tl::report {

namespace {

/// The continued fraction of the regularized incomplete beta function
/// (modified Lentz), converging for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-15;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < eps) break;
  }
  return h;
}

/// I_x(a, b), the regularized incomplete beta function, 0 <= x <= 1.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

}  // namespace

double student_t_cdf(double t, double df) {
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));  // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument("student_t_quantile: p must be in (0, 1)");
  // Bisection on the CDF: monotone, and plenty fast for a report.
  double lo = -1, hi = 1;
  while (student_t_cdf(lo, df) > p) lo *= 2;
  while (student_t_cdf(hi, df) < p) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * std::max(1.0, std::fabs(hi)); ++i) {
    const double mid = (lo + hi) / 2;
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

SeedSummary summarize(const std::vector<double>& values) {
  SeedSummary s;
  s.n = values.size();
  if (s.n == 0) return s;
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(s.n);
  s.ci_low = s.ci_high = s.mean;
  if (s.n < 2) return s;
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(squares / static_cast<double>(s.n - 1));
  const double half = student_t_quantile(0.975, static_cast<double>(s.n - 1)) * s.sd / std::sqrt(static_cast<double>(s.n));
  s.ci_low = s.mean - half;
  s.ci_high = s.mean + half;
  return s;
}

PairedTest paired_t_test(const std::vector<double>& baseline, const std::vector<double>& candidate) {
  if (baseline.size() != candidate.size())
    throw std::invalid_argument("paired_t_test: the two lists must hold one value per seed each");
  std::vector<double> diff(baseline.size());
  for (std::size_t i = 0; i < diff.size(); ++i) diff[i] = candidate[i] - baseline[i];
  const SeedSummary s = summarize(diff);
  PairedTest t;
  t.n = s.n;
  t.mean = s.mean;
  t.sd = s.sd;
  t.ci_low = s.ci_low;
  t.ci_high = s.ci_high;
  if (t.n < 2) return t;
  if (t.sd == 0) {  // every seed gave the same difference
    t.t = t.mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), t.mean);
    t.p = t.mean == 0 ? 1 : 0;
    return t;
  }
  t.t = t.mean / (t.sd / std::sqrt(static_cast<double>(t.n)));
  // Two-sided, from the lower tail directly: 1 - cdf would lose tiny p-values to rounding.
  t.p = 2 * student_t_cdf(-std::fabs(t.t), static_cast<double>(t.n - 1));
  return t;
}

}  // namespace tl::report
