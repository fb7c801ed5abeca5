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

}  // namespace

std::string render_html(const std::string& script, const std::vector<ReportSection>& sections) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tl report: " + escape(script) +
      "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
      "td,th{border:1px solid #bbb;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}"
      "th{background:#eee}.verdict{font-family:monospace}img{max-width:48%;margin:4px}</style>\n</head><body>\n<h1>" +
      escape(script) + "</h1>\n";
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
    if (section.charts.error.empty())
      out += "<div class=\"charts\"><img src=\"" + escape(section.charts.loss) + "\" alt=\"training loss per epoch\">"
             "<img src=\"" + escape(section.charts.accuracy) + "\" alt=\"training accuracy per epoch\"></div>\n";
    else
      out += "<p class=\"warning\">" + escape(section.charts.error) + "</p>\n";
    out += "</section>\n";
  }
  out += "<p>Convergence: the first epoch whose training accuracy reaches 99% of the run's best; "
         "generalisation gap: train accuracy minus test accuracy, in points.</p>\n</body></html>\n";
  return out;
}

}  // namespace tl::report
