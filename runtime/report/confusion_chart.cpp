// The confusion matrix heat map (see confusion_chart.hpp).
#include "runtime/report/confusion_chart.hpp"

#include <algorithm>
#include <fstream>

#include "runtime/report/charts.hpp"

namespace tl::report {

std::string write_confusion_chart(const ClassMetrics& m, const std::vector<std::string>& names, const std::string& title,
                                  const std::string& dir, const std::string& stem) {
  const std::string dat = chart_source(dir, stem + ".dat"), gp = chart_source(dir, stem + ".gp");
  {
    std::ofstream out(dir + "/" + dat);
    for (std::size_t t = 0; t < m.classes; ++t) {
      for (std::size_t p = 0; p < m.classes; ++p) out << (p ? " " : "") << m.confusion[t * m.classes + p];
      out << "\n";
    }
  }
  {
    const int side = static_cast<int>(std::clamp<std::size_t>(m.classes * 48 + 220, 480, 1200));
    std::ofstream out(dir + "/" + gp);
    out << "set terminal svg size " << side << "," << side << " noenhanced font 'sans,15' background rgb 'white'\n"
        << "set output " << gnuplot_quoted(stem + ".svg") << "\n"
        << "set title " << gnuplot_quoted(title) << "\n"
        << "set xlabel 'predicted'\nset ylabel 'true'\nunset key\nset tics scale 0\n"
        << "set palette defined (0 'white', 1 '#3b6fb6')\nset cblabel 'samples'\n"
        << "set xrange [-0.5:" << m.classes - 0.5 << "]\nset yrange [" << m.classes - 0.5 << ":-0.5]\n";
    auto tics = [&](const char* axis) {
      out << "set " << axis << " (";
      for (std::size_t c = 0; c < m.classes; ++c) {
        const std::string name = c < names.size() && !names[c].empty() ? names[c] : std::to_string(c);
        out << (c ? ", " : "") << gnuplot_quoted(name) << " " << c;
      }
      out << ")" << (std::string(axis) == "xtics" ? " rotate by 45 right" : "") << "\n";
    };
    tics("xtics");
    tics("ytics");
    out << "plot " << gnuplot_quoted(dat) << " matrix with image pixels, " << gnuplot_quoted(dat)
        << " matrix using 1:2:(sprintf('%d', $3)) with labels font 'sans,13'\n";
  }
  return run_gnuplot(dir, gp, dat);
}

}  // namespace tl::report
