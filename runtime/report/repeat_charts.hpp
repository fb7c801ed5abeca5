// Learning curves of a repeated experiment, drawn by gnuplot as SVG: for
// each compared model, the mean training loss (or accuracy) per epoch over
// the seeds as a line, in a band of ± one standard deviation; validation
// curves dashed when the trainings had them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/report/charts.hpp"

namespace tl::report {

/// Writes DIR/STEM-loss.svg and DIR/STEM-accuracy.svg (and the .dat and .gp
/// they are drawn from) for one comparison of aggregate_repeats' output.
ChartFiles write_repeat_charts(const nlohmann::json& comparison, const std::string& dir, const std::string& stem);

}  // namespace tl::report
