// The machine-readable results of a run (DIR/results.json); the schema is
// documented in docs/results.md. Field names are a contract: extend, never
// rename.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "compiler/check/experiment.hpp"
#include "runtime/data/dataset.hpp"
#include "runtime/report/class_metrics.hpp"
#include "runtime/report/compare.hpp"
#include "runtime/train/trainer.hpp"

namespace tl::report {

class Results {
 public:
  Results(const check::Experiment& exp, const std::string& backend, int threads);
  /// `name`: the dataset's name in the script; `data`: the dataset (its size
  /// and pixel map are recorded).
  /// `best_file`: the model file save_best wrote ("" for none).
  void add_training(const check::ModelSpec& model, const std::string& name, const data::Dataset& data,
                    const check::TrainConfig& config, const train::FitResult& fit, const std::string& best_file = {});
  void add_evaluation(const check::ModelSpec& model, const std::string& name, const data::Dataset& data,
                      const train::EvalStats& stats);
  /// Per-class figures of the last evaluation (class_metrics.hpp), and the
  /// files written with them (`files`: confusion CSV and chart, predictions).
  void add_class_metrics(const ClassMetrics& m, const std::vector<std::string>& names, const nlohmann::json& files);
  /// `stem`: the files of this comparison (STEM.csv, STEM-loss.svg, ...).
  void add_comparison(const Comparison& comparison, const std::string& stem);
  void finish(double seconds, const std::string& status);
  const nlohmann::json& json() const { return json_; }
  /// An `export` step: the model, the file, its format ("onnx" or "tl").
  void add_export(const std::string& model, const std::string& path, const std::string& format);
  /// Sets a top-level member (the run's script key, ...).
  void set(const std::string& key, nlohmann::json value) { json_[key] = std::move(value); }
  /// Continues from a document saved in a checkpoint.
  void restore(nlohmann::json saved) { json_ = std::move(saved); }
  /// Writes to `path` atomically (a temporary file renamed over it).
  void write(const std::string& path) const;

 private:
  nlohmann::json json_;
};

}  // namespace tl::report
