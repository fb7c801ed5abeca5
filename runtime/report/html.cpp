// The HTML comparison page (see html.hpp). Self-contained apart from the SVG
// charts next to it; no scripts.
#include "runtime/report/html.hpp"

#include <cmath>
#include <cstdio>

namespace tl::report {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

/// The page's head, style and title.
std::string page_start(const std::string& script) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tl report: " + escape(script) +
         "</title>\n<style>body{font-family:sans-serif;font-size:16px;margin:1.5em auto;max-width:1150px;padding:0 1em}"
         "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #bbb;padding:4px 10px;text-align:right}"
         "td:first-child,th:first-child{text-align:left}th{background:#eee}"
         ".verdict{font-family:monospace;white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:0.5em}"
         ".charts{display:flex;flex-wrap:wrap;gap:8px}.charts>img{width:calc(50% - 4px);min-width:420px;height:auto}"
         "figure{margin:0;max-width:100%}figure img{max-width:100%;height:auto}"
         "figcaption{font-size:14px;color:#444}</style>\n</head><body>\n<h1>" +
         escape(script) + "</h1>\n";
}

std::string charts_html(const ChartFiles& charts) {
  if (!charts.error.empty()) return "<p class=\"warning\">" + escape(charts.error) + "</p>\n";
  return "<div class=\"charts\"><img src=\"" + escape(charts.loss) + "\" alt=\"training loss per epoch\">"
         "<img src=\"" + escape(charts.accuracy) + "\" alt=\"training accuracy per epoch\"></div>\n";
}

/// A number member of `j`, or NaN.
double number(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
}

std::string percent(double v) { return std::isnan(v) ? "-" : num("%.2f%%", 100 * v); }

/// Every training: its last epoch's figures, its best epoch (with
/// early_stop or save_best), its time; then the history charts.
std::string trainings_html(const nlohmann::json& results, const ChartFiles& history) {
  const auto& trainings = results.value("trainings", nlohmann::json::array());
  if (trainings.empty()) return {};
  std::string out = "<section class=\"trainings\">\n<h2>Trainings</h2>\n<table>\n<tr><th>model</th><th>data</th>"
                    "<th>epochs</th><th>loss</th><th>accuracy</th><th>val loss</th><th>val accuracy</th><th>best epoch</th>"
                    "<th>train time</th><th>compile</th></tr>\n";
  for (const auto& t : trainings) {
    const auto& h = t.at("history");
    const nlohmann::json last = h.empty() ? nlohmann::json::object() : h.back();
    double seconds = 0, compile = 0;
    for (const auto& e : h) seconds += e.value("seconds", 0.0), compile += e.value("compile_seconds", 0.0);
    std::string best = "-";
    if (t.contains("early_stop") && t["early_stop"].contains("best_epoch")) {
      const auto& es = t["early_stop"];
      best = std::to_string(es["best_epoch"].get<int>()) + " (" + es.at("monitor").get<std::string>() + " " +
             num("%.4f", es["best_value"].get<double>()) + ")";
      if (es.value("stopped", false)) best += ", stopped early";
      if (es.value("restored", false)) best += ", restored";
    }
    out += "<tr><td>" + escape(t.at("model").get<std::string>()) + "</td><td>" + escape(t.at("data").get<std::string>()) +
           "</td><td>" + std::to_string(h.size()) + " of " + std::to_string(t.value("epochs", 0)) + "</td><td>" +
           num("%.4f", number(last, "loss")) + "</td><td>" + percent(number(last, "accuracy")) + "</td><td>" +
           (last.contains("val_loss") ? num("%.4f", number(last, "val_loss")) : "-") + "</td><td>" +
           percent(number(last, "val_accuracy")) + "</td><td>" + escape(best) + "</td><td>" +
           num("%.1f s", seconds - compile) + "</td><td>" + num("%.2f s", compile) + "</td></tr>\n";
  }
  out += "</table>\n<p>Loss and accuracy of each training's last epoch (dropout on, as Keras reports them); train time "
         "without compiling the steps, shown on its own. The charts draw every training on one axis: a model's later "
         "trainings go on from its earlier ones, and a model derived from others starts where they ended.</p>\n";
  return out + charts_html(history) + "</section>\n";
}

/// Every evaluation: its figures, then the confusion matrix charts.
std::string evaluations_html(const nlohmann::json& results) {
  const auto& evaluations = results.value("evaluations", nlohmann::json::array());
  if (evaluations.empty()) return {};
  std::string out = "<section class=\"evaluations\">\n<h2>Evaluations</h2>\n<table>\n<tr><th>model</th><th>data</th>"
                    "<th>accuracy</th><th>loss</th><th>macro F1</th><th>weighted F1</th><th>top-k accuracy</th>"
                    "<th>samples</th></tr>\n";
  std::string figures;
  for (const auto& e : evaluations) {
    const std::string model = e.at("model").get<std::string>(), data = e.at("split").get<std::string>();
    const std::string top = e.contains("top_k") ? percent(number(e["top_k"], "accuracy")) + " (k = " +
                                                      std::to_string(e["top_k"].at("k").get<int>()) + ")"
                                                : "-";
    out += "<tr><td>" + escape(model) + "</td><td>" + escape(data) + "</td><td>" + percent(number(e, "accuracy")) +
           "</td><td>" + num("%.4f", number(e, "loss")) + "</td><td>" +
           (e.contains("macro") ? num("%.4f", number(e["macro"], "f1")) : "-") + "</td><td>" +
           (e.contains("weighted_f1") ? num("%.4f", number(e, "weighted_f1")) : "-") + "</td><td>" + top + "</td><td>" +
           std::to_string(e.value("samples", 0)) + "</td></tr>\n";
    if (e.contains("files") && e["files"].contains("confusion_chart"))
      figures += "<figure><img src=\"" + escape(e["files"]["confusion_chart"].get<std::string>()) + "\" alt=\"confusion of " +
                 escape(model) + " on " + escape(data) + "\"><figcaption>" + escape(model) + " on " + escape(data) +
                 ": rows the true class, columns the predicted one</figcaption></figure>";
  }
  out += "</table>\n";
  if (!figures.empty()) out += "<div class=\"charts\">" + figures + "</div>\n";
  return out + "</section>\n";
}

}  // namespace

std::string render_html(const std::string& script, const nlohmann::json& results, const ChartFiles& history,
                        const std::vector<ReportSection>& sections) {
  std::string out = page_start(script) + trainings_html(results, history) + evaluations_html(results);

  for (const auto& section : sections) {
    const Comparison& c = section.comparison;
    out += "<section class=\"comparison\">\n<h2>Compared on " + escape(c.data) + " (" +
           std::to_string(c.rows.front().test.samples) + " samples)</h2>\n<table>\n<tr><th>model</th><th>test accuracy</th>"
           "<th>test loss</th><th>train accuracy</th><th>generalisation gap</th><th>converged at epoch (step)</th>"
           "<th>train time</th><th>compile</th></tr>\n";
    for (const auto& r : c.rows) {
      const CompareRowStats s = stats_of(r);
      out += "<tr><td>" + escape(r.model) + "</td><td>" + num("%.2f%%", 100 * r.test.accuracy) + "</td><td>" +
             num("%.4f", r.test.loss) + "</td><td>" + (r.train ? num("%.2f%%", 100 * r.train->accuracy) : "-") +
             "</td><td>" + (r.train ? num("%+.2f", 100 * s.gap) : "-") + "</td><td>" +
             (s.converged_epoch ? std::to_string(s.converged_epoch) + " (" + std::to_string(s.converged_step) + ")"
                                : "-") +
             "</td><td>" + (r.history.empty() ? "-" : num("%.1f s", s.train_seconds)) + "</td><td>" +
             (r.history.empty() ? "-" : num("%.2f s", s.compile_seconds)) + "</td></tr>\n";
    }
    out += "</table>\n<pre class=\"verdict\">";
    const std::string table = render_table(c);
    // The verdict lines are the table text's lines after the header and rows.
    std::size_t skip = c.rows.size() + 2, at = 0;
    while (skip-- > 0 && at != std::string::npos) at = table.find('\n', at) + 1;
    out += escape(at == std::string::npos ? "" : table.substr(at)) + "</pre>\n";
    out += charts_html(section.charts) + "</section>\n";
  }
  out += "<p>Convergence: the first epoch whose training accuracy reaches 99% of the run's best; "
         "generalisation gap: train accuracy minus test accuracy, in points.</p>\n</body></html>\n";
  return out;
}

std::string render_repeats_html(const std::string& script, const nlohmann::json& a, const std::vector<ChartFiles>& charts) {
  const auto& seeds = a.at("repeat").at("seeds");
  std::string out = page_start(script) + "<p>Repeated over " + std::to_string(seeds.size()) + " seeds; every figure is "
                    "mean ± sd over the seeds [95% confidence interval]. Each seed's run:";
  for (const auto& run : a["repeat"]["runs"]) {
    const std::string folder = run.at("folder").get<std::string>();
    out += " <a href=\"" + escape(folder) + "/report.html\">" + std::to_string(run.at("seed").get<std::uint64_t>()) + "</a>";
  }
  out += ".</p>\n";
  auto figure = [](const nlohmann::json& f, double scale, const char* format) {
    std::string unsigned_format = format;  // an sd has no sign
    if (unsigned_format.rfind("%+", 0) == 0) unsigned_format.erase(1, 1);
    return num(format, scale * f.at("mean").get<double>()) + " ± " +
           num(unsigned_format.c_str(), scale * f.at("sd").get<double>()) +
           " [" + num(format, scale * f.at("ci95")[0].get<double>()) + ", " +
           num(format, scale * f.at("ci95")[1].get<double>()) + "]";
  };
  for (std::size_t c = 0; c < a["comparisons"].size(); ++c) {
    const auto& cmp = a["comparisons"][c];
    out += "<section class=\"comparison\">\n<h2>Compared on " + escape(cmp.at("data").get<std::string>()) +
           "</h2>\n<table>\n<tr><th>model</th><th>test accuracy (%)</th><th>test loss</th><th>generalisation gap "
           "(points)</th><th>converged at epoch</th></tr>\n";
    for (const auto& m : cmp["models"])
      out += "<tr><td>" + escape(m.at("model").get<std::string>()) + "</td><td>" + figure(m["test_accuracy"], 100, "%.2f") +
             "</td><td>" + figure(m["test_loss"], 1, "%.4f") + "</td><td>" +
             (m.contains("generalization_gap") ? figure(m["generalization_gap"], 100, "%+.2f") : "-") + "</td><td>" +
             (m.contains("converged_epoch") ? figure(m["converged_epoch"], 1, "%.1f") : "-") + "</td></tr>\n";
    out += "</table>\n<pre class=\"verdict\">";
    for (const auto& v : cmp["verdicts"])
      out += escape(v.at("model").get<std::string>() + " vs " + v.at("baseline").get<std::string>() + ": " +
                    num("%+.2f", 100 * v.at("accuracy_difference").get<double>()) + " points (95% CI " +
                    num("%+.2f", 100 * v["ci95"][0].get<double>()) + " to " + num("%+.2f", 100 * v["ci95"][1].get<double>()) +
                    "), paired t-test, p = " + num("%.4f", v.at("p").get<double>()) + ": " +
                    v.at("verdict").get<std::string>()) +
             "\n";
    out += "</pre>\n" + (c < charts.size() ? charts_html(charts[c]) : std::string()) + "</section>\n";
  }
  if (!a["evaluations"].empty()) {
    out += "<section>\n<h2>Evaluations</h2>\n<table>\n<tr><th>model</th><th>data</th><th>accuracy (%)</th><th>loss</th></tr>\n";
    for (const auto& e : a["evaluations"])
      out += "<tr><td>" + escape(e.at("model").get<std::string>()) + "</td><td>" + escape(e.at("split").get<std::string>()) +
             "</td><td>" + figure(e["accuracy"], 100, "%.2f") + "</td><td>" + figure(e["loss"], 1, "%.4f") + "</td></tr>\n";
    out += "</table>\n</section>\n";
  }
  out += "<p>Bands in the charts: ± one standard deviation over the seeds. Verdicts: a paired t-test of the per-seed "
         "differences; better or worse when the 95% interval excludes zero.</p>\n</body></html>\n";
  return out;
}

}  // namespace tl::report
