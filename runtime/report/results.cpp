// results.json (see results.hpp and docs/results.md).
#include "runtime/report/results.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "runtime/data/pixel_map_json.hpp"

namespace tl::report {

namespace {

nlohmann::json optimizer_json(const ir::OptimizerSpec& o) {
  nlohmann::json j = o.kind == ir::OptimizerSpec::Kind::Adam
                         ? nlohmann::json{{"name", o.weight_decay != 0.0 ? "adamw" : "adam"}, {"lr", o.lr}, {"beta1", o.beta1},
                                          {"beta2", o.beta2}, {"epsilon", o.eps}}
                         : nlohmann::json{{"name", "sgd"}, {"lr", o.lr}, {"momentum", o.momentum}, {"nesterov", o.nesterov}};
  j["weight_decay"] = o.weight_decay;  // decoupled, on kernels
  j["l2"] = o.l2;                      // added to kernels' gradients
  return j;
}

nlohmann::json early_stop_json(const check::TrainConfig& config, const train::FitResult& fit, const std::string& best_file) {
  nlohmann::json j = nlohmann::json::object();
  if (config.early_stop) {
    const check::EarlyStop& e = *config.early_stop;
    j = {{"monitor", check::metric_name(e.monitor)}, {"patience", e.patience}, {"min_delta", e.min_delta},
         {"restore_best", e.restore_best}, {"stopped", fit.best && fit.best->stopped}, {"restored", fit.restored}};
  } else {
    j["monitor"] = check::metric_name(*config.save_best);
  }
  if (fit.best && fit.best->epoch > 0) j["best_epoch"] = fit.best->epoch, j["best_value"] = fit.best->value;
  if (!best_file.empty()) j["best_file"] = best_file;
  return j;
}

nlohmann::json schedule_json(const check::LrSchedule& s) {
  using Kind = check::LrSchedule::Kind;
  switch (s.kind) {
    case Kind::Constant: return {{"name", "constant"}};
    case Kind::Step: return {{"name", "step"}, {"every", s.every}, {"gamma", s.gamma}};
    case Kind::Exponential: return {{"name", "exponential"}, {"gamma", s.gamma}};
    case Kind::Cosine: return {{"name", "cosine"}, {"warmup", s.warmup}, {"min", s.min_factor}};
    case Kind::Plateau: return {{"name", "plateau"}, {"factor", s.factor}, {"patience", s.patience}};
  }
  return nullptr;
}

/// How the dataset's bytes become the floats the model saw: value =
/// float(byte) * scale + offset (the `scale` and `normalize` stages folded).
nlohmann::json pixels_json(const data::Dataset& ds) { return data::pixel_map_json(ds.pixels); }

/// What a dataset adds to a training or evaluation entry: its class names
/// (one per model output) and the files its source skipped, when it has them.
void add_data_facts(nlohmann::json& entry, const check::ModelSpec& model, const data::Dataset& ds) {
  if (ds.class_names) entry["classes"] = ds.class_list(model.outputs());
  if (ds.store && !ds.store->skipped_files().empty()) {
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& [file, why] : ds.store->skipped_files()) skipped.push_back({{"file", file}, {"error", why}});
    entry["skipped_files"] = skipped;
  }
}

}  // namespace

Results::Results(const check::Experiment& exp, const std::string& backend, int threads) {
  json_ = {{"tl_version", "0.1.0"}, {"script", exp.script}, {"seed", exp.seed}, {"backend", backend},
           {"threads", threads},    {"status", "running"},  {"parameters", nlohmann::json::object()},
           {"models", nlohmann::json::array()}, {"trainings", nlohmann::json::array()},
           {"evaluations", nlohmann::json::array()}, {"comparisons", nlohmann::json::array()}};
  for (const auto& m : exp.models) {
    json_["parameters"][m.name] = {{"total", m.total_params()},
                                   {"trainable", m.trainable_params()},
                                   {"non_trainable", m.total_params() - m.trainable_params()}};
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : m.layers) {
      nlohmann::json inputs = nlohmann::json::array();
      for (int i : l.inputs) inputs.push_back(m.layers[static_cast<std::size_t>(i)].name);
      layers.push_back({{"name", l.name}, {"type", check::keras_class(l.kind)}, {"output_shape", l.shape},
                        {"params", l.param_count()}, {"inputs", inputs}});
    }
    json_["models"].push_back({{"name", m.name}, {"architecture", m.architecture}, {"layers", layers}});
  }
}

void Results::add_training(const check::ModelSpec& model, const std::string& name, const data::Dataset& data,
                           const check::TrainConfig& config, const train::FitResult& fit, const std::string& best_file) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : fit.history) {
    nlohmann::json j = {{"epoch", e.epoch}, {"loss", e.loss}, {"accuracy", e.accuracy},
                        {"seconds", e.seconds}, {"steps", e.steps}, {"samples", e.samples},
                        {"lr", config.optimizer.lr * e.lr_scale}, {"compile_seconds", e.compile_seconds}};
    if (e.val_loss) j["val_loss"] = *e.val_loss, j["val_accuracy"] = *e.val_accuracy;
    epochs.push_back(j);
  }
  nlohmann::json entry = {{"model", model.name},
                          {"data", name},
                          {"samples", static_cast<std::int64_t>(data.size())},
                          {"pixels", pixels_json(data)},
                          {"epochs", config.epochs},
                          {"batch", config.batch},
                          {"shuffle", config.shuffle},
                          {"optimizer", optimizer_json(config.optimizer)},
                          {"schedule", schedule_json(config.schedule)},
                          {"loss", {{"from_logits", config.loss.from_logits}, {"label_smoothing", config.loss.label_smoothing}}},
                          {"clip_norm", config.clip_norm},
                          {"lr_multipliers", model.lr_factors},
                          {"history", epochs}};
  if (config.early_stop || config.save_best) entry["early_stop"] = early_stop_json(config, fit, best_file);
  add_data_facts(entry, model, data);
  json_["trainings"].push_back(std::move(entry));
}

void Results::add_export(const std::string& model, const std::string& path, const std::string& format) {
  if (!json_.contains("exports")) json_["exports"] = nlohmann::json::array();
  json_["exports"].push_back({{"model", model}, {"file", path}, {"format", format}});
}

void Results::add_evaluation(const check::ModelSpec& model, const std::string& name, const data::Dataset& data,
                             const train::EvalStats& s) {
  nlohmann::json entry = {{"model", model.name}, {"split", name},       {"loss", s.loss},
                          {"accuracy", s.accuracy}, {"samples", s.samples}, {"seconds", s.seconds},
                          {"pixels", pixels_json(data)}};
  add_data_facts(entry, model, data);
  json_["evaluations"].push_back(std::move(entry));
}

void Results::add_class_metrics(const ClassMetrics& m, const std::vector<std::string>& names, const nlohmann::json& files) {
  nlohmann::json& entry = json_["evaluations"].back();
  nlohmann::json per_class = nlohmann::json::array(), confusion = nlohmann::json::array();
  for (std::size_t c = 0; c < m.classes; ++c) {
    per_class.push_back({{"class", c < names.size() && !names[c].empty() ? names[c] : std::to_string(c)},
                         {"precision", m.precision[c]},
                         {"recall", m.recall[c]},
                         {"f1", m.f1[c]},
                         {"support", m.support[c]}});
    confusion.push_back(std::vector<std::int64_t>(m.confusion.begin() + static_cast<std::ptrdiff_t>(c * m.classes),
                                                  m.confusion.begin() + static_cast<std::ptrdiff_t>((c + 1) * m.classes)));
  }
  entry["per_class"] = per_class;
  entry["macro"] = {{"precision", m.macro_precision}, {"recall", m.macro_recall}, {"f1", m.macro_f1}};
  entry["weighted_f1"] = m.weighted_f1;
  if (m.top_k > 0) entry["top_k"] = {{"k", m.top_k}, {"accuracy", m.top_k_accuracy}};
  entry["confusion"] = confusion;
  entry["files"] = files;
}

void Results::add_comparison(const Comparison& c, const std::string& stem) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : c.rows) {
    const CompareRowStats s = stats_of(r);
    nlohmann::json row = {{"model", r.model},
                          {"test_accuracy", r.test.accuracy},
                          {"test_loss", r.test.loss},
                          {"samples", r.test.samples}};
    if (r.train) {
      row["train_data"] = r.train_data;
      row["train_accuracy"] = r.train->accuracy;
      row["train_loss"] = r.train->loss;
      row["generalization_gap"] = s.gap;
      row["converged_epoch"] = s.converged_epoch;
      row["converged_step"] = s.converged_step;
      row["train_seconds"] = s.train_seconds;  // without compiling
      row["compile_seconds"] = s.compile_seconds;
    }
    rows.push_back(row);
  }
  json_["comparisons"].push_back({{"data", c.data}, {"baseline", c.rows.front().model}, {"files", stem}, {"rows", rows}});
}

void Results::finish(double seconds, const std::string& status) {
  json_["seconds"] = seconds;
  json_["status"] = status;
}

void Results::write(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << json_.dump(2) << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

}  // namespace tl::report
