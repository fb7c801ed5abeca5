// Learning curves over seeds with a ±sd band (see repeat_charts.hpp).
#include "runtime/report/repeat_charts.hpp"

#include <fstream>

namespace tl::report {

ChartFiles write_repeat_charts(const nlohmann::json& comparison, const std::string& dir, const std::string& stem) {
  ChartFiles files{stem + "-loss.svg", stem + "-accuracy.svg", {}};
  const auto& models = comparison.at("models");
  const std::size_t seeds = models.empty() ? 0 : models.front().at("test_accuracy").at("values").size();
  // 1. The data: one block per model, columns epoch, then mean, mean - sd,
  //    mean + sd of loss, accuracy, val_loss, val_accuracy ('?' when absent).
  const std::string dat = chart_source(dir, stem + ".dat");
  {
    std::ofstream out(dir + "/" + dat);
    for (const auto& m : models) {
      out << "# " << m.at("model").get<std::string>() << "\n";
      if (!m.contains("history")) out << "0 ? ? ? ? ? ? ? ? ? ? ? ?\n";
      for (const auto& point : m.value("history", nlohmann::json::array())) {
        out << point.at("epoch").get<int>();
        for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
          if (!point.contains(key)) {
            out << " ? ? ?";
            continue;
          }
          const double mean = point[key]["mean"].get<double>(), sd = point[key]["sd"].get<double>();
          out << ' ' << mean << ' ' << mean - sd << ' ' << mean + sd;
        }
        out << "\n";
      }
      out << "\n\n";
    }
  }
  // 2. The script: a band and a mean line per model.
  const std::string gp = chart_source(dir, stem + ".gp");
  {
    std::ofstream out(dir + "/" + gp);
    out << curves_preamble << "set style fill transparent solid 0.18 noborder\n";
    const struct {
      const char* file_suffix;
      const char* label;
      int column;  // of the mean; the band is the next two
    } metrics[] = {{"-loss.svg", "loss", 2}, {"-accuracy.svg", "accuracy", 5}};
    for (const auto& metric : metrics) {
      out << "set output " << gnuplot_quoted(stem + metric.file_suffix) << "\n"
          << "set title "
          << gnuplot_quoted("training " + std::string(metric.label) + " per epoch, mean ± sd over " +
                            std::to_string(seeds) + " seeds (compared on " + comparison.at("data").get<std::string>() + ")")
          << "\nset ylabel " << gnuplot_quoted(metric.label) << "\nplot ";
      for (std::size_t i = 0; i < models.size(); ++i) {
        const std::string name = models[i].at("model").get<std::string>();
        const auto& history = models[i].value("history", nlohmann::json::array());
        const bool has_val = !history.empty() && history.front().contains("val_loss");
        const std::string block = gnuplot_quoted(dat) + " index " + std::to_string(i);
        out << (i ? ", " : "") << block << " using 1:" << metric.column + 1 << ":" << metric.column + 2
            << " with filledcurves lc " << i + 1 << " notitle, " << block << " using 1:" << metric.column
            << " with linespoints lw 2 lc " << i + 1 << " title " << gnuplot_quoted(name);
        if (has_val)
          out << ", " << block << " using 1:" << metric.column + 6 << " with lines dt 2 lw 2 lc " << i + 1 << " title "
              << gnuplot_quoted(name + " (validation)");
      }
      out << "\n";
    }
  }
  return draw_curves(files, dir, gp, dat);
}

}  // namespace tl::report
