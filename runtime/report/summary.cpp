// Keras-style summary tables (see summary.hpp).
#include "runtime/report/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace tl::report {

namespace {

std::string shape_text(const ir::Shape& s) {
  std::string out = "(None";
  for (auto d : s) out += ", " + std::to_string(d);
  return out + ")";
}

/// One row: each cell is cut to its column and padded, as Keras does.
std::string row(const std::vector<std::string>& cells, const std::vector<std::size_t>& stops) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (line.size() > stops[i] - 1) line.resize(stops[i] - 1);
    line.resize(stops[i], ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

}  // namespace

std::string thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string summary(const check::ModelSpec& model, const std::set<std::string>& frozen) {
  const bool functional = !model.sequential;
  const std::size_t width = functional ? 98 : 65;
  const std::vector<std::size_t> stops =
      functional ? std::vector<std::size_t>{33, 59, 71, 98} : std::vector<std::size_t>{29, 55, 65};
  std::string out = "Model: \"" + model.name + "\"  (" + model.architecture + ")\n";
  out += std::string(width, '_') + "\n";
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (functional) header.push_back("Connected to");
  out += row(header, stops);
  out += std::string(width, '=') + "\n";
  std::int64_t total = 0, trainable = 0;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const check::Layer& l = model.layers[i];
    if (l.kind == check::LayerKind::Input && !functional) continue;
    std::int64_t params = 0;
    for (const auto& p : l.params) {
      const std::int64_t n = ir::element_count(p.shape);
      params += n;
      const std::string t = check::ModelSpec::tensor_name(l, p);
      if (p.trainable && !frozen.count(t) && !model.frozen.count(t)) trainable += n;
    }
    total += params;
    std::vector<std::string> cells = {l.name + " (" + check::keras_class(l.kind) + ")",
                                      l.kind == check::LayerKind::Input ? "[" + shape_text(l.shape) + "]" : shape_text(l.shape),
                                      std::to_string(params)};
    if (functional) {
      std::string connected;
      for (int in : l.inputs) connected += (connected.empty() ? "" : ", ") + model.layers[static_cast<std::size_t>(in)].name;
      cells.push_back(connected);
    }
    out += row(cells, stops);
    out += std::string(width, i + 1 == model.layers.size() ? '=' : '_') + "\n";
  }
  out += "Total params: " + thousands(total) + "\n";
  out += "Trainable params: " + thousands(trainable) + "\n";
  out += "Non-trainable params: " + thousands(total - trainable) + "\n";
  out += std::string(width, '_') + "\n";
  return out;
}

std::string manifest(const check::ModelSpec& model, const std::vector<std::string>& model_names) {
  // A learning-rate column when some tensor has a multiplier (`| lr {...}`).
  const bool factors = std::any_of(model.lr_factors.begin(), model.lr_factors.end(), [](const auto& f) { return f.second != 1.0; });
  std::vector<std::vector<std::string>> rows = {{"tensor", "shape", "from", "trainable"}};
  if (factors) rows[0].push_back("lr");
  for (const auto& l : model.layers)
    for (const auto& p : l.params) {
      const std::string t = check::ModelSpec::tensor_name(l, p);
      std::string from = "fresh";
      if (auto it = model.origins.find(t); it != model.origins.end() && it->second.model >= 0)
        from = model_names[static_cast<std::size_t>(it->second.model)] + "." + it->second.tensor;
      std::string shape;
      for (auto d : p.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
      const bool trainable = p.trainable && !model.frozen.count(t);
      rows.push_back({t, shape, from, trainable ? "yes" : (p.trainable ? "frozen" : "no (statistic)")});
      if (factors) {
        const auto f = model.lr_factors.find(t);
        char factor[32];
        std::snprintf(factor, sizeof factor, "x%g", f == model.lr_factors.end() ? 1.0 : f->second);
        rows.back().push_back(trainable ? factor : "-");
      }
    }
  // Columns as wide as their longest cell plus two spaces: names are never cut
  // (batch_normalization/moving_mean and /moving_variance must stay apart).
  std::vector<std::size_t> stops(rows[0].size(), 0);
  for (std::size_t c = 0; c < stops.size(); ++c) {
    std::size_t width = 0;
    for (const auto& r : rows) width = std::max(width, r[c].size());
    stops[c] = (c ? stops[c - 1] : 0) + width + 2;
  }
  std::string out = "Transfer manifest of \"" + model.name + "\":\n";
  for (const auto& r : rows) out += row(r, stops);
  return out;
}

}  // namespace tl::report
