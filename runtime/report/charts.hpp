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

/// The path, relative to DIR, of a chart's source file `name` (its .gp
/// script or .dat data): "charts/NAME", the folder created. The sources stay
/// out of the run folder itself, which holds the SVGs; gnuplot runs in DIR.
std::string chart_source(const std::string& dir, const std::string& name);

/// `s` as a gnuplot string: in single quotes, inner ones doubled.
std::string gnuplot_quoted(const std::string& s);

/// The start of a learning-curve script: SVG terminal, grid, key, epochs on x.
extern const char* const curves_preamble;

/// The two learning-curve charts of a data file whose columns are epoch,
/// loss, accuracy, val_loss, val_accuracy: the SVG's suffix, the y label and
/// the training figure's column (its validation figure is 2 columns on).
struct CurveMetric {
  const char* file_suffix;
  const char* label;
  int column;
};
extern const CurveMetric curve_metrics[2];

/// Runs gnuplot on the script DIR/GP (in DIR, so its file names stay
/// relative); "" when it drew, else why not (with what to install).
std::string run_gnuplot(const std::string& dir, const std::string& gp, const std::string& dat);

/// Draws a learning-curve script: `files` as given when gnuplot drew, or with
/// no file names and the error when it could not.
ChartFiles draw_curves(ChartFiles files, const std::string& dir, const std::string& gp, const std::string& dat);

/// Writes DIR/STEM-loss.svg and DIR/STEM-accuracy.svg (plus the .dat and .gp
/// they are made from in DIR/charts/, so the charts can be redrawn or restyled).
ChartFiles write_charts(const Comparison& c, const std::string& dir, const std::string& stem);

}  // namespace tl::report
