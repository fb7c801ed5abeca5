// gnuplot-drawn SVG learning curves (see charts.hpp).
#include "runtime/report/charts.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace tl::report {

std::string chart_source(const std::string& dir, const std::string& name) {
  std::filesystem::create_directories(dir + "/charts");
  return "charts/" + name;
}

std::string gnuplot_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

const char* const curves_preamble =
    "set terminal svg size 640,440 noenhanced font 'sans,15' background rgb 'white'\n"
    "set datafile missing '?'\nset grid\nset key below\nset xlabel 'epoch'\nset xtics 1\n";

const CurveMetric curve_metrics[2] = {{"-loss.svg", "loss", 2}, {"-accuracy.svg", "accuracy", 3}};

std::string run_gnuplot(const std::string& dir, const std::string& gp, const std::string& dat) {
  const std::string command = "cd " + gnuplot_quoted(dir) + " && gnuplot " + gnuplot_quoted(gp) + " 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  std::string messages;
  if (pipe) {
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe)) messages += buffer;
    if (pclose(pipe) == 0) return {};
  }
  return "gnuplot could not draw the charts" + (messages.empty() ? std::string() : ": " + messages) +
         " (install gnuplot-nox; the data is in " + dat + ")";
}

ChartFiles draw_curves(ChartFiles files, const std::string& dir, const std::string& gp, const std::string& dat) {
  files.error = run_gnuplot(dir, gp, dat);
  if (!files.error.empty()) {
    files.loss.clear();
    files.accuracy.clear();
  }
  return files;
}

namespace {

const auto& quoted = gnuplot_quoted;

}  // namespace

ChartFiles write_charts(const Comparison& c, const std::string& dir, const std::string& stem) {
  ChartFiles files{stem + "-loss.svg", stem + "-accuracy.svg", {}};
  // 1. The data: one block per model (gnuplot's `index`), columns
  //    epoch, loss, accuracy, val_loss, val_accuracy ('?' when absent).
  const std::string dat = chart_source(dir, stem + ".dat");
  {
    std::ofstream out(dir + "/" + dat);
    for (const auto& r : c.rows) {
      out << "# " << r.model << "\n";
      for (const auto& e : r.history) {
        out << e.epoch << ' ' << e.loss << ' ' << e.accuracy << ' ';
        if (e.val_loss) out << *e.val_loss << ' ' << *e.val_accuracy << "\n";
        else out << "? ?\n";
      }
      if (r.history.empty()) out << "0 ? ? ? ?\n";
      out << "\n\n";
    }
  }
  // 2. The script: one chart per metric, scratch and transfer on one chart.
  const std::string gp = chart_source(dir, stem + ".gp");
  {
    std::ofstream out(dir + "/" + gp);
    out << curves_preamble;
    for (const auto& m : curve_metrics) {
      out << "set output " << quoted(stem + m.file_suffix) << "\n"
          << "set title " << quoted("training " + std::string(m.label) + " per epoch (compared on " + c.data + ")")
          << "\nset ylabel " << quoted(m.label) << "\nplot ";
      for (std::size_t i = 0; i < c.rows.size(); ++i) {
        const bool has_val = !c.rows[i].history.empty() && c.rows[i].history.front().val_loss.has_value();
        out << (i ? ", " : "") << quoted(dat) << " index " << i << " using 1:" << m.column
            << " with linespoints lw 2 lc " << i + 1 << " title " << quoted(c.rows[i].model);
        if (has_val)
          out << ", " << quoted(dat) << " index " << i << " using 1:" << m.column + 2
              << " with lines dt 2 lw 2 lc " << i + 1 << " title " << quoted(c.rows[i].model + " (validation)");
      }
      out << "\n";
    }
  }
  // 3. Draw.
  return draw_curves(files, dir, gp, dat);
}

}  // namespace tl::report
