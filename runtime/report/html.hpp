// report.html: one page with every comparison of a run: its table, the
// verdict lines and the learning-curve charts.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/report/charts.hpp"
#include "runtime/report/compare.hpp"

namespace tl::report {

struct ReportSection {
  Comparison comparison;
  ChartFiles charts;
};

/// report.html of a run: its trainings (a table and `history`, the charts of
/// every training on one axis), its evaluations (per-class figures and
/// confusion charts), both from results.json's document `results`, then each
/// comparison with its verdicts and charts.
std::string render_html(const std::string& script, const nlohmann::json& results, const ChartFiles& history,
                        const std::vector<ReportSection>& sections);

/// The page of a repeated experiment: aggregate_repeats' figures (one table
/// per comparison, its verdicts and its band charts, then the evaluations),
/// with links to every seed's own report.
std::string render_repeats_html(const std::string& script, const nlohmann::json& aggregated,
                                const std::vector<ChartFiles>& charts);

}  // namespace tl::report
