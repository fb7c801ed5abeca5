// The run's training histories on one axis (see history_chart.hpp).
#include "runtime/report/history_chart.hpp"

#include <algorithm>
#include <fstream>

namespace tl::report {

std::vector<HistoryPhase> history_phases(const nlohmann::json& trainings,
                                         const std::map<std::string, std::vector<std::string>>& donors) {
  std::vector<HistoryPhase> phases;
  std::map<std::string, int> last_epoch;  // model -> the last epoch drawn for it
  for (const auto& t : trainings) {
    HistoryPhase p;
    p.model = t.at("model").get<std::string>();
    p.data = t.at("data").get<std::string>();
    p.history = t.at("history");
    int start = 0;
    if (auto it = last_epoch.find(p.model); it != last_epoch.end()) {
      start = it->second;  // the next phase of the same model
    } else if (auto d = donors.find(p.model); d != donors.end()) {
      for (const auto& donor : d->second)  // a derived model goes on from its donors
        if (auto e = last_epoch.find(donor); e != last_epoch.end()) start = std::max(start, e->second);
    }
    p.first_epoch = start + 1;
    last_epoch[p.model] = start + static_cast<int>(p.history.size());
    phases.push_back(std::move(p));
  }
  return phases;
}

ChartFiles write_history_charts(const std::vector<HistoryPhase>& phases, const std::string& dir, const std::string& stem) {
  ChartFiles files{stem + "-loss.svg", stem + "-accuracy.svg", {}};
  // 1. The data: one block per training, columns epoch (on the run's axis),
  //    loss, accuracy, val_loss, val_accuracy ('?' when absent).
  const std::string dat = chart_source(dir, stem + ".dat");
  {
    std::ofstream out(dir + "/" + dat);
    for (const auto& p : phases) {
      out << "# " << p.model << " on " << p.data << "\n";
      int epoch = p.first_epoch;
      for (const auto& e : p.history) {
        out << epoch++ << ' ' << e.at("loss").get<double>() << ' ' << e.at("accuracy").get<double>();
        if (e.contains("val_loss")) out << ' ' << e["val_loss"].get<double>() << ' ' << e["val_accuracy"].get<double>() << "\n";
        else out << " ? ?\n";
      }
      if (p.history.empty()) out << p.first_epoch << " ? ? ? ?\n";
      out << "\n\n";
    }
  }
  // 2. The script: one colour per model; its later phases untitled.
  std::vector<std::string> models;
  for (const auto& p : phases)
    if (std::find(models.begin(), models.end(), p.model) == models.end()) models.push_back(p.model);
  const std::string gp = chart_source(dir, stem + ".gp");
  {
    std::ofstream out(dir + "/" + gp);
    out << curves_preamble;
    int last = 1;
    for (const auto& p : phases) last = std::max(last, p.first_epoch + static_cast<int>(p.history.size()) - 1);
    if (last > 20) out << "set xtics autofreq\n";  // one tic per epoch only while they fit
    for (const auto& m : curve_metrics) {
      out << "set output " << gnuplot_quoted(stem + m.file_suffix) << "\nset title "
          << gnuplot_quoted(std::string(m.label) + " per epoch, every training (validation dashed)") << "\nset ylabel "
          << gnuplot_quoted(m.label) << "\nplot ";
      std::vector<bool> titled(models.size(), false);
      for (std::size_t i = 0; i < phases.size(); ++i) {
        const auto colour = static_cast<std::size_t>(std::find(models.begin(), models.end(), phases[i].model) - models.begin());
        const std::string title = titled[colour] ? "notitle" : "title " + gnuplot_quoted(phases[i].model);
        titled[colour] = true;
        const bool has_val = !phases[i].history.empty() && phases[i].history.front().contains("val_loss");
        out << (i ? ", " : "") << gnuplot_quoted(dat) << " index " << i << " using 1:" << m.column
            << " with linespoints lw 2 pt 7 ps 0.6 lc " << colour + 1 << " " << title;
        if (has_val)
          out << ", " << gnuplot_quoted(dat) << " index " << i << " using 1:" << m.column + 2 << " with lines dt 2 lw 2 lc "
              << colour + 1 << " notitle";
      }
      out << "\n";
    }
  }
  return draw_curves(files, dir, gp, dat);
}

}  // namespace tl::report
