// The HTML comparison page (see html.hpp). Self-contained apart from the SVG
// charts next to it; no scripts.
#include "runtime/report/html.hpp"

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
         "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
         "td,th{border:1px solid #bbb;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}"
         "th{background:#eee}.verdict{font-family:monospace}img{max-width:48%;margin:4px}</style>\n</head><body>\n<h1>" +
         escape(script) + "</h1>\n";
}

std::string charts_html(const ChartFiles& charts) {
  if (!charts.error.empty()) return "<p class=\"warning\">" + escape(charts.error) + "</p>\n";
  return "<div class=\"charts\"><img src=\"" + escape(charts.loss) + "\" alt=\"training loss per epoch\">"
         "<img src=\"" + escape(charts.accuracy) + "\" alt=\"training accuracy per epoch\"></div>\n";
}

}  // namespace

std::string render_html(const std::string& script, const std::vector<ReportSection>& sections) {
  std::string out = page_start(script);
  for (const auto& section : sections) {
    const Comparison& c = section.comparison;
    out += "<section class=\"comparison\">\n<h2>Compared on " + escape(c.data) + " (" +
           std::to_string(c.rows.front().test.samples) + " samples)</h2>\n<table>\n<tr><th>model</th><th>test accuracy</th>"
           "<th>test loss</th><th>train accuracy</th><th>generalisation gap</th><th>converged at epoch (step)</th>"
           "<th>train time</th></tr>\n";
    for (const auto& r : c.rows) {
      const CompareRowStats s = stats_of(r);
      out += "<tr><td>" + escape(r.model) + "</td><td>" + num("%.2f%%", 100 * r.test.accuracy) + "</td><td>" +
             num("%.4f", r.test.loss) + "</td><td>" + (r.train ? num("%.2f%%", 100 * r.train->accuracy) : "-") +
             "</td><td>" + (r.train ? num("%+.2f", 100 * s.gap) : "-") + "</td><td>" +
             (s.converged_epoch ? std::to_string(s.converged_epoch) + " (" + std::to_string(s.converged_step) + ")"
                                : "-") +
             "</td><td>" + (r.history.empty() ? "-" : num("%.1f s", s.train_seconds)) + "</td></tr>\n";
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
