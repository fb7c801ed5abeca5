// Learning-curve charts for a comparison, drawn by gnuplot (Debian's
// gnuplot-nox) as SVG: training loss and training accuracy per epoch, one
// line per model (validation curves dashed when the training had them).
#pragma once

#include <string>

#include "runtime/report/compare.hpp"

namespace tl::report {

struct ChartFiles {
  std::string loss, accuracy;  // file names inside the directory
  std::string error;           // why no charts were drawn, or empty
};

/// Writes DIR/STEM-loss.svg and DIR/STEM-accuracy.svg (plus the .dat and .gp
/// they are made from, so the charts can be redrawn or restyled).
ChartFiles write_charts(const Comparison& c, const std::string& dir, const std::string& stem);

}  // namespace tl::report
