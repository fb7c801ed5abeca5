// report.html: one page with every comparison of a run: its table, the
// verdict lines and the learning-curve charts.
#pragma once

#include <string>
#include <vector>

#include "runtime/report/charts.hpp"
#include "runtime/report/compare.hpp"

namespace tl::report {

struct ReportSection {
  Comparison comparison;
  ChartFiles charts;
};

std::string render_html(const std::string& script, const std::vector<ReportSection>& sections);

}  // namespace tl::report
