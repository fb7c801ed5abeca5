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

std::string render_html(const std::string& script, const std::vector<ReportSection>& sections);

/// The page of a repeated experiment: aggregate_repeats' figures (one table
/// per comparison, its verdicts and its band charts, then the evaluations),
/// with links to every seed's own report.
std::string render_repeats_html(const std::string& script, const nlohmann::json& aggregated,
                                const std::vector<ChartFiles>& charts);

}  // namespace tl::report
