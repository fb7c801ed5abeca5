// The comparison table, verdicts and CSV (see compare.hpp).
#include "runtime/report/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/report/csv_field.hpp"

namespace tl::report {

namespace {

std::string fmt(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

CompareRowStats stats_of(const CompareRow& row) {
  CompareRowStats s;
  if (row.train) s.gap = row.train->accuracy - row.test.accuracy;
  if (row.history.empty()) return s;
  double best = 0;
  for (const auto& e : row.history) best = std::max(best, e.accuracy);
  for (const auto& e : row.history) {
    s.train_seconds += e.seconds - e.compile_seconds;
    s.compile_seconds += e.compile_seconds;
    if (s.converged_epoch == 0 && e.accuracy >= 0.99 * best) {
      s.converged_epoch = e.epoch;
      s.converged_step = static_cast<std::int64_t>(e.epoch) * e.steps;
    }
  }
  return s;
}

std::string render_table(const Comparison& c) {
  std::string out = "Comparison on " + c.data + " (" + std::to_string(c.rows.front().test.samples) + " samples)\n";
  const std::vector<std::size_t> widths = {18, 10, 10, 10, 8, 16, 11, 8};
  const std::vector<std::string> head = {"model", "test acc", "test loss", "train acc", "gap", "converged at", "train time",
                                         "compile"};
  for (std::size_t i = 0; i < head.size(); ++i) out += pad(head[i], widths[i]);
  out += "\n";
  for (const auto& r : c.rows) {
    const CompareRowStats s = stats_of(r);
    std::vector<std::string> cells = {
        r.model, fmt("%.2f%%", 100 * r.test.accuracy), fmt("%.4f", r.test.loss),
        r.train ? fmt("%.2f%%", 100 * r.train->accuracy) : "-", r.train ? fmt("%+.2f", 100 * s.gap) : "-",
        s.converged_epoch ? "epoch " + std::to_string(s.converged_epoch) + " (" + std::to_string(s.converged_step) + ")"
                          : "-",
        r.history.empty() ? "-" : fmt("%.1fs", s.train_seconds), r.history.empty() ? "-" : fmt("%.2fs", s.compile_seconds)};
    for (std::size_t i = 0; i < cells.size(); ++i) out += pad(cells[i], widths[i]);
    out += "\n";
  }
  // Verdicts: each model against the baseline, in numbers.
  const CompareRow& base = c.rows.front();
  const CompareRowStats bs = stats_of(base);
  for (std::size_t i = 1; i < c.rows.size(); ++i) {
    const CompareRow& r = c.rows[i];
    const CompareRowStats s = stats_of(r);
    const double delta = 100 * (r.test.accuracy - base.test.accuracy);
    // Two standard errors of the difference of two accuracies measured on n
    // samples each: smaller differences are within the noise of the test set.
    const double p = (r.test.accuracy + base.test.accuracy) / 2;
    const double n = static_cast<double>(std::max<std::int64_t>(r.test.samples, 1));
    const double noise = 100 * 2 * std::sqrt(std::max(p * (1 - p), 1.0 / n) * 2 / n);
    const std::string verdict = std::fabs(delta) <= noise ? "within the noise of " + fmt("%.2f", noise) + " points"
                                : delta > 0                ? "better"
                                                           : "worse";
    out += r.model + " vs " + base.model + ": " + fmt("%+.2f", delta) + " points test accuracy (" + verdict + "), " +
           fmt("%+.4f", r.test.loss - base.test.loss) + " test loss";
    if (s.converged_epoch && bs.converged_epoch)
      out += ", converged at epoch " + std::to_string(s.converged_epoch) + " vs " + std::to_string(bs.converged_epoch);
    if (r.train && base.train) out += ", gap " + fmt("%+.2f", 100 * s.gap) + " vs " + fmt("%+.2f", 100 * bs.gap) + " points";
    out += "\n";
  }
  return out;
}

std::string render_csv(const Comparison& c) {
  std::string out =
      "model,data,test_accuracy,test_loss,train_accuracy,generalization_gap,converged_epoch,converged_step,train_seconds,"
      "compile_seconds\n";
  for (const auto& r : c.rows) {
    const CompareRowStats s = stats_of(r);
    out += csv_field(r.model) + "," + csv_field(c.data) + "," + fmt("%.6f", r.test.accuracy) + "," + fmt("%.6f", r.test.loss) + "," +
           (r.train ? fmt("%.6f", r.train->accuracy) : "") + "," + (r.train ? fmt("%.6f", s.gap) : "") + "," +
           std::to_string(s.converged_epoch) + "," + std::to_string(s.converged_step) + "," +
           fmt("%.3f", s.train_seconds) + "," + fmt("%.3f", s.compile_seconds) + "\n";
  }
  return out;
}

}  // namespace tl::report
