// Per-class figures of an evaluation; see class_metrics.hpp.
#include "runtime/report/class_metrics.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "runtime/report/csv_field.hpp"

namespace tl::report {

namespace {

std::string name_of(const std::vector<std::string>& names, std::size_t c) {
  return c < names.size() && !names[c].empty() ? names[c] : std::to_string(c);
}

double ratio(std::int64_t a, std::int64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

}  // namespace

std::vector<std::int32_t> predicted_classes(const std::vector<float>& scores, std::size_t classes) {
  std::vector<std::int32_t> out(classes == 0 ? 0 : scores.size() / classes);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const float* row = scores.data() + i * classes;
    std::size_t best = 0;
    for (std::size_t c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    out[i] = static_cast<std::int32_t>(best);
  }
  return out;
}

ClassMetrics class_metrics(const std::vector<float>& scores, const std::vector<std::int32_t>& labels,
                           std::size_t classes, int top_k) {
  if (classes == 0 || scores.size() != labels.size() * classes)
    throw std::invalid_argument("class_metrics: one row of class scores per label");
  ClassMetrics m;
  m.classes = classes;
  m.samples = labels.size();
  m.confusion.assign(classes * classes, 0);
  m.support.assign(classes, 0);
  const std::vector<std::int32_t> predicted = predicted_classes(scores, classes);
  std::int64_t correct = 0, in_top = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::int32_t t = labels[i];
    if (t < 0 || static_cast<std::size_t>(t) >= classes)
      throw std::invalid_argument(fmt::format("class_metrics: label {} of sample {} is not a class", t, i));
    ++m.confusion[static_cast<std::size_t>(t) * classes + static_cast<std::size_t>(predicted[i])];
    ++m.support[static_cast<std::size_t>(t)];
    correct += predicted[i] == t;
    if (top_k > 0) {
      const float* row = scores.data() + i * classes;
      std::size_t higher = 0;
      for (std::size_t c = 0; c < classes; ++c) higher += row[c] > row[t];
      in_top += higher < static_cast<std::size_t>(top_k);
    }
  }
  m.accuracy = ratio(correct, static_cast<std::int64_t>(m.samples));
  m.top_k = top_k;
  m.top_k_accuracy = top_k > 0 ? ratio(in_top, static_cast<std::int64_t>(m.samples)) : 0.0;
  for (std::size_t c = 0; c < classes; ++c) {
    std::int64_t predicted_c = 0;
    for (std::size_t t = 0; t < classes; ++t) predicted_c += m.confusion[t * classes + c];
    const std::int64_t hit = m.confusion[c * classes + c];
    const double p = ratio(hit, predicted_c), r = ratio(hit, m.support[c]);
    m.precision.push_back(p);
    m.recall.push_back(r);
    m.f1.push_back(p + r == 0 ? 0.0 : 2 * p * r / (p + r));
    m.macro_precision += p / static_cast<double>(classes);
    m.macro_recall += r / static_cast<double>(classes);
    m.macro_f1 += m.f1.back() / static_cast<double>(classes);
    m.weighted_f1 += m.f1.back() * ratio(m.support[c], static_cast<std::int64_t>(m.samples));
  }
  return m;
}

std::string confusion_csv(const ClassMetrics& m, const std::vector<std::string>& names) {
  std::string out = csv_field("true \\ predicted");
  for (std::size_t c = 0; c < m.classes; ++c) out += "," + csv_field(name_of(names, c));
  out += "\n";
  for (std::size_t t = 0; t < m.classes; ++t) {
    out += csv_field(name_of(names, t));
    for (std::size_t p = 0; p < m.classes; ++p) out += "," + std::to_string(m.confusion[t * m.classes + p]);
    out += "\n";
  }
  return out;
}

std::string render_class_metrics(const ClassMetrics& m, const std::vector<std::string>& names) {
  std::size_t width = 12;
  for (std::size_t c = 0; c < m.classes; ++c) width = std::max(width, name_of(names, c).size());
  width = std::min<std::size_t>(width, 24);
  std::string out = fmt::format("  {:<{}} {:>9} {:>9} {:>9} {:>9}\n", "class", width, "precision", "recall", "f1", "support");
  for (std::size_t c = 0; c < m.classes; ++c) {
    std::string name = name_of(names, c);
    if (name.size() > width) name = name.substr(0, width - 3) + "...";
    out += fmt::format("  {:<{}} {:>9.4f} {:>9.4f} {:>9.4f} {:>9}\n", name, width, m.precision[c], m.recall[c], m.f1[c],
                       m.support[c]);
  }
  out += fmt::format("  {:<{}} {:>9.4f} {:>9.4f} {:>9.4f} {:>9}\n", "macro avg", width, m.macro_precision, m.macro_recall,
                     m.macro_f1, m.samples);
  out += fmt::format("  {:<{}} {:>9} {:>9} {:>9.4f} {:>9}\n", "weighted avg", width, "", "", m.weighted_f1, m.samples);
  if (m.top_k > 0) out += fmt::format("  top-{} accuracy: {:.4f}\n", m.top_k, m.top_k_accuracy);
  return out;
}

}  // namespace tl::report
