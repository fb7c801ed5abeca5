// The confusion matrix as a chart, drawn by gnuplot as SVG: a heat map of
// true class (rows, top to bottom) against predicted class, each cell
// labelled with its count.
#pragma once

#include <string>
#include <vector>

#include "runtime/report/class_metrics.hpp"

namespace tl::report {

/// Writes DIR/STEM.svg (and STEM.dat, STEM.gp). Returns "" when drawn, else
/// why not.
std::string write_confusion_chart(const ClassMetrics& m, const std::vector<std::string>& names, const std::string& title,
                                  const std::string& dir, const std::string& stem);

}  // namespace tl::report
