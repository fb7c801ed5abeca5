// The experiment driver (see run_experiment.hpp): one Runner per run, one
// method per step kind, all progress kept in a RunState that checkpoints save.
#include "runtime/run/run_experiment.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dsl/diagnostics.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/onnx/onnx_export.hpp"
#include "runtime/onnx/onnx_import.hpp"
#include "runtime/report/charts.hpp"
#include "runtime/report/compare.hpp"
#include "runtime/report/confusion_chart.hpp"
#include "runtime/report/csv_field.hpp"
#include "runtime/report/history_chart.hpp"
#include "runtime/report/html.hpp"
#include "runtime/report/progress.hpp"
#include "runtime/report/results.hpp"
#include "runtime/report/summary.hpp"
#include "runtime/run/checkpoint.hpp"
#include "runtime/run/run_folder.hpp"
#include "runtime/train/predict.hpp"

namespace tl::run {

using namespace tl::train;

namespace {

class Runner {
 public:
  Runner(const check::Experiment& exp, data::DataStore& store, const SourceFile& source, const RunOptions& options)
      : exp_(exp), store_(store), source_(source), options_(options), out_(options.out),
        folder_(options.out_dir), results_path_(options.out_dir + "/results.json"),
        shown_results_((options.shown_out_dir.empty() ? options.out_dir : options.shown_out_dir) + "/results.json"),
        results_(exp, options.backend, options.threads),
        executor_(exec::make_executor(options.backend, options.threads)),
        key_(checkpoint_key(options.script_text, exp.seed)) {
    results_.set("script_key", key_);  // the script text and seed this run is of (repeats' --resume compares it)
    results_.set("processes", options.comm ? options.comm->size() : 1);
    for (const auto& m : exp.models) st_.states.push_back(initialise(m, exp.seed));
    st_.history_csv = "model,data,epoch,loss,accuracy,val_loss,val_accuracy,seconds,steps\n";
    st_.results = results_.json();
  }

  std::vector<ModelState> run() {
    if (options_.resume) {
      folder_.resume();
      resume();
    } else {
      std::set<std::string> read;  // model files the script loads stay, wherever they are
      for (const check::Step& step : exp_.steps)
        if (step.kind == check::Step::Kind::Load) read.insert(step.path);
      folder_.start_fresh(read);
      save_checkpoint(options_.out_dir, key_, st_);  // resumable from the very start
    }
    folder_.file("results.json");  // results_path_, recorded as this run's
    note_skipped_files();
    while (st_.next_step < exp_.steps.size()) {
      const check::Step& step = exp_.steps[st_.next_step];
      try {
        run_step(step);
      } catch (const Interrupted& e) {
        if (options_.live) std::fprintf(out_, "\n");  // end the live bar: the message goes on its own line
        std::fflush(out_);
        finish("interrupted");
        throw DiagnosticError(make_diagnostic(source_, step.where.offset, step.where.length, e.what(),
                                              "resume with the same command and --resume; finished results are in " +
                                                  shown_results_));
      } catch (const std::runtime_error& e) {
        if (dynamic_cast<const DiagnosticError*>(&e)) throw;
        finish("failed");
        throw DiagnosticError(make_diagnostic(source_, step.where.offset, step.where.length, e.what(),
                                              "results of the steps before this one are in " + shown_results_));
      }
      note_skipped_files();
      ++st_.next_step;
      st_.fit.reset();
      st_.results = results_.json();
      results_.write(results_path_);
      save_checkpoint(options_.out_dir, key_, st_);
      std::fflush(out_);
    }
    closing_table();
    finish("ok");
    const bool report = !results_.json().value("trainings", nlohmann::json::array()).empty() || !st_.evaluations.empty();
    if (report) write_report();
    remove_checkpoint(options_.out_dir);
    std::fprintf(out_, "\nresults: %s\n", results_path_.c_str());
    if (report) std::fprintf(out_, "report: %s/report.html\n", options_.out_dir.c_str());
    std::fflush(out_);
    return std::move(st_.states);
  }

 private:
  void resume() {
    load_checkpoint(options_.out_dir, key_, exp_, st_);
    // The backend and the thread count change results (sums in another
    // order), so a resumed run continues exactly as it started or not at all.
    const int processes = st_.results.value("processes", 1), now = options_.comm ? options_.comm->size() : 1;
    if (processes != now)
      throw data::DataError(options_.out_dir + "/checkpoint/checkpoint.safetensors", std::nullopt,
                            "this run started with " + std::to_string(processes) + " process(es); resuming it with " +
                                std::to_string(now) + " would change its results (each step's sums run in another order)",
                            "resume under the same mpirun -np, or run without --resume to start again");
    const std::string backend = st_.results.value("backend", "");
    const int threads = st_.results.value("threads", 0);
    if (backend != options_.backend || threads != options_.threads)
      throw data::DataError(options_.out_dir + "/checkpoint/checkpoint.safetensors", std::nullopt,
                            "this run started with --backend " + backend + " --threads " + std::to_string(threads) +
                                "; resuming it with --backend " + options_.backend + " --threads " +
                                std::to_string(options_.threads) + " would change its results",
                            "resume with --backend " + backend + " --threads " + std::to_string(threads) +
                                ", or run without --resume to start again");
    results_.restore(st_.results);
    std::fprintf(out_, "Resuming from %s/checkpoint: step %zu of %zu", options_.out_dir.c_str(), st_.next_step + 1,
                 exp_.steps.size());
    if (st_.fit) std::fprintf(out_, ", after epoch %d", st_.fit->epochs_done);
    std::fprintf(out_, "\n");
  }

  void finish(const char* status) {
    results_.finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(), status);
    results_.write(results_path_);
  }

  void write_text(const std::string& name, const std::string& text) {
    const std::string path = folder_.file(name);
    std::FILE* f = std::fopen((path + ".tmp").c_str(), "w");
    if (!f || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0 || std::rename((path + ".tmp").c_str(), path.c_str()))
      throw std::runtime_error("cannot write " + path);
  }

  /// The loss settings a model is evaluated with: those of its last training.
  check::TrainConfig eval_config(int model) const {
    auto it = st_.trained.find(model);
    return it != st_.trained.end() ? exp_.steps[static_cast<std::size_t>(it->second.step)].train
                                   : default_eval_config(exp_.models[static_cast<std::size_t>(model)]);
  }

  void run_step(const check::Step& step) {
    switch (step.kind) {
      case check::Step::Kind::Load: load(step); break;
      case check::Step::Kind::Derive: derive(step); break;
      case check::Step::Kind::Summary: summary(step); break;
      case check::Step::Kind::Export: export_model(step); break;
      case check::Step::Kind::Train: train(step); break;
      case check::Step::Kind::Evaluate: evaluate_step(step); break;
      case check::Step::Kind::Compare: compare(step); break;
    }
  }

  void load(const check::Step& step) {
    st_.states[static_cast<std::size_t>(step.model)].vars =
        step.format == check::Step::Format::Onnx ? onnx_import::import_onnx(step.path).vars : io::load_model(step.path).vars;
  }

  /// Copies every reused tensor from its donor's weights as they are now.
  void derive(const check::Step& step) {
    const check::ModelSpec& model = exp_.models[static_cast<std::size_t>(step.model)];
    ModelState& state = st_.states[static_cast<std::size_t>(step.model)];
    for (const auto& [tensor, origin] : model.origins) {
      if (origin.model < 0) continue;
      const auto& donor = st_.states[static_cast<std::size_t>(origin.model)].vars.tensors;
      const auto it = donor.find(origin.tensor);
      if (it == donor.end() || it->second.shape() != state.vars.tensors.at(tensor).shape())
        throw std::logic_error("derive: tensor " + origin.tensor + " of model " +
                               exp_.models[static_cast<std::size_t>(origin.model)].name + " does not fit " + tensor);
      state.vars.tensors[tensor] = it->second;
    }
  }

  /// Says which image folders had files skipped (on_error = skip) since the
  /// last note: at the start, those whose header failed; after a step, those
  /// that failed to decode while it used them.
  void note_skipped_files() {
    for (std::size_t i = 0; i < exp_.data.size(); ++i) {
      if (exp_.data[i].kind != check::DataNode::Kind::Images) continue;
      const auto ds = store_.get(exp_, static_cast<int>(i));
      const auto skipped = ds->store->skipped_files();
      std::size_t& noted = noted_skips_[ds->store.get()];
      if (skipped.size() <= noted) continue;
      const auto& first = skipped[noted];
      const std::size_t files = ds->store->files.size() + ds->store->skipped.size();  // listed, and failed headers
      std::fprintf(out_, "note: %s: skipped %zu %sof %zu image files that could not be read (%s: %s); results.json "
                   "lists them\n",
                   exp_.data[i].images_path.c_str(), skipped.size() - noted, noted ? "more " : "", files,
                   first.first.c_str(), first.second.c_str());
      noted = skipped.size();
    }
  }

  /// `export m to "file"`: the model as it is now, with the pixel map and
  /// class names of its last training's data when it has been trained here.
  void export_model(const check::Step& step) {
    const check::ModelSpec& model = exp_.models[static_cast<std::size_t>(step.model)];
    const ModelState& state = st_.states[static_cast<std::size_t>(step.model)];
    std::optional<data::PixelMap> pixels;
    std::vector<std::string> classes;
    if (auto t = st_.trained.find(step.model); t != st_.trained.end()) {
      const auto data = store_.get(exp_, exp_.steps[static_cast<std::size_t>(t->second.step)].data);
      if (!data->has_float_pixels()) pixels = data->pixels;
      classes = data->class_list(model.outputs());
    }
    const std::filesystem::path given(step.path);
    const bool inside = given.is_relative() && !given.has_parent_path();  // a plain name: the run's own file
    const std::string path = inside ? folder_.file(step.path) : given.is_relative() ? options_.out_dir + "/" + step.path : step.path;
    // An absolute path is outside every process's folder: rank 0 writes it.
    const bool writes = !given.is_absolute() || !options_.comm || options_.comm->rank() == 0;
    if (!inside && writes) std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    if (!writes) {
      // rank 0 writes the same bytes
    } else if (step.format == check::Step::Format::Onnx) {
      onnx_export::export_onnx(path, model, state.vars, pixels);
    } else {
      io::save_model(path, model, state.vars, pixels, classes);
    }
    std::fprintf(out_, "Exported %s to %s\n", model.name.c_str(), path.c_str());
    results_.add_export(model.name, path, step.format == check::Step::Format::Onnx ? "onnx" : "tl");
  }

  void summary(const check::Step& step) {
    const check::ModelSpec& model = exp_.models[static_cast<std::size_t>(step.model)];
    std::fprintf(out_, "%s\n", report::summary(model).c_str());
    if (model.derived) {
      std::vector<std::string> names;
      for (const auto& m : exp_.models) names.push_back(m.name);
      std::fprintf(out_, "%s\n", report::manifest(model, names).c_str());
    }
  }

  void train(const check::Step& step) {
    const check::ModelSpec& model = exp_.models[static_cast<std::size_t>(step.model)];
    ModelState& state = st_.states[static_cast<std::size_t>(step.model)];
    const auto& node = exp_.data[static_cast<std::size_t>(step.data)];
    const auto data = store_.get(exp_, step.data);
    const auto validation = step.train.validation >= 0 ? store_.get(exp_, step.train.validation) : nullptr;
    std::fprintf(out_, "Train %s on %s: %zu samples, batch %lld, %d epoch%s\n", model.name.c_str(), node.display.c_str(),
                 data->size(), static_cast<long long>(step.train.batch), step.train.epochs,
                 step.train.epochs == 1 ? "" : "s");
    report::ConsoleProgress progress(out_, options_.live);
    // Shuffles (and dropout masks, with each model's own streams) are keyed by
    // the experiment's seed and the training data: trainings on the same data
    // see the same order, so a baseline and a transfer model are compared on
    // equal terms, and a repeat pairs them seed by seed. The data is numbered
    // by its first training in the script (1, 2, ...). A model's later
    // training on the same data (a second phase) draws new ones.
    std::uint64_t ordinal = 0, again = 0;
    std::vector<int> seen;
    for (const check::Step& s : exp_.steps) {
      if (&s == &step) break;
      if (s.kind == check::Step::Kind::Train && s.model == step.model && s.data == step.data) ++again;
    }
    for (const check::Step& s : exp_.steps)
      if (s.kind == check::Step::Kind::Train && std::find(seen.begin(), seen.end(), s.data) == seen.end()) {
        seen.push_back(s.data);
        if (s.data == step.data) ordinal = seen.size();
      }
    const std::uint64_t seed =
        step.train.seed.value_or(exp_.seed + 0x9E3779B97F4A7C15ull * ordinal + 0xD1B54A32D192ED03ull * again);
    check::TrainConfig config = step.train;
    config.continue_on_nan = config.continue_on_nan || options_.continue_on_nan;
    FitHooks hooks;
    const std::optional<FitProgress> resumed = st_.fit;
    if (resumed) hooks.resume = &*resumed;
    hooks.should_stop = options_.should_stop;
    hooks.comm = options_.comm;
    hooks.on_epoch_end = [&](const FitProgress& p) {
      st_.fit = p;
      save_checkpoint(options_.out_dir, key_, st_);
    };
    // A pixel map describes bytes; a float source's (NumPy) is not recorded.
    const std::optional<data::PixelMap> pixels =
        data->has_float_pixels() ? std::nullopt : std::optional<data::PixelMap>(data->pixels);
    const std::string best_file = config.save_best ? model.name + ".best.safetensors" : "";
    if (config.save_best)  // the best epoch so far, written when it improves
      hooks.on_best = [&](const ModelState& s, const EpochStats&) {
        io::save_model(folder_.file(best_file), model, s.vars, pixels, data->class_list(model.outputs()));
      };
    const FitResult result = fit(*executor_, state, *data, config, seed, validation.get(), progress, hooks);
    const auto& history = result.history;
    results_.add_training(model, node.display, *data, step.train, result, best_file);
    st_.trained[step.model] = {static_cast<int>(&step - exp_.steps.data()), history};
    io::save_model(folder_.file(model.name + ".safetensors"), model, state.vars, pixels, data->class_list(model.outputs()));
    if (options_.export_onnx) onnx_export::export_onnx(folder_.file(model.name + ".onnx"), model, state.vars, pixels);
    for (const auto& e : history) {
      char numbers[256];  // the names go in whole, quoted as CSV needs
      std::snprintf(numbers, sizeof numbers, "%d,%.6f,%.6f,%s,%s,%.3f,%lld\n", e.epoch, e.loss, e.accuracy,
                    e.val_loss ? std::to_string(*e.val_loss).c_str() : "",
                    e.val_accuracy ? std::to_string(*e.val_accuracy).c_str() : "", e.seconds,
                    static_cast<long long>(e.steps));
      st_.history_csv += report::csv_field(model.name) + "," + report::csv_field(node.display) + "," + numbers;
    }
    write_text("history.csv", st_.history_csv);
  }

  void evaluate_step(const check::Step& step) {
    const check::ModelSpec& model = exp_.models[static_cast<std::size_t>(step.model)];
    const auto& node = exp_.data[static_cast<std::size_t>(step.data)];
    const auto data = store_.get(exp_, step.data);
    train::Predictions predictions;  // the same pass gives the per-class figures
    const EvalStats stats = evaluate(*executor_, st_.states[static_cast<std::size_t>(step.model)], *data,
                                     step.eval_batch, eval_config(step.model), nullptr, &predictions, options_.comm);
    std::fprintf(out_, "Evaluate %s on %s: loss %.4f - accuracy %.4f (%lld samples, %.1fs)\n", model.name.c_str(),
                 node.display.c_str(), stats.loss, stats.accuracy, static_cast<long long>(stats.samples), stats.seconds);
    results_.add_evaluation(model, node.display, *data, stats);
    st_.evaluations.push_back({model.name, node.display, stats});
    class_metrics(step, model, node.display, *data, predictions);
  }

  /// Per-class precision, recall and F1, top-k accuracy and the confusion
  /// matrix of the last evaluation (evaluate-N-confusion.csv and .svg), and
  /// its per-sample predictions when the step asks (evaluate-N-predictions.csv).
  void class_metrics(const check::Step& step, const check::ModelSpec& model, const std::string& data_name,
                     const data::Dataset& data, const train::Predictions& p) {
    const std::size_t classes = model.outputs();
    const report::ClassMetrics m = report::class_metrics(p.scores, p.labels, classes, step.top_k);
    const std::vector<std::string> names = data.class_list(classes);
    const std::string stem = "evaluate-" + std::to_string(st_.evaluations.size());
    if (classes <= 20) std::fprintf(out_, "%s", report::render_class_metrics(m, names).c_str());
    else if (m.top_k > 0) std::fprintf(out_, "  top-%d accuracy: %.4f\n", m.top_k, m.top_k_accuracy);
    nlohmann::json files = {{"confusion_csv", stem + "-confusion.csv"}};
    write_text(stem + "-confusion.csv", report::confusion_csv(m, names));
    for (const char* suffix : {"-confusion.dat", "-confusion.gp"}) folder_.file("charts/" + stem + suffix);
    folder_.file(stem + "-confusion.svg");
    const std::string error = report::write_confusion_chart(
        m, names, "confusion of " + model.name + " on " + data_name, options_.out_dir, stem + "-confusion");
    if (error.empty()) files["confusion_chart"] = stem + "-confusion.svg";
    else std::fprintf(out_, "warning: %s\n", error.c_str());
    if (step.predictions != check::Step::Predictions::None) {
      const std::vector<std::int32_t> predicted = report::predicted_classes(p.scores, classes);
      std::string csv = "sample,file,label,predicted,score,correct\n";
      for (std::size_t i = 0; i < p.samples.size(); ++i) {
        const bool right = predicted[i] == p.labels[i];
        if (step.predictions == check::Step::Predictions::Wrong && right) continue;
        csv += std::to_string(p.samples[i]) + "," + report::csv_field(data.file_of(p.samples[i])) + "," +
               report::csv_field(data.class_name(p.labels[i])) + "," + report::csv_field(data.class_name(predicted[i])) + "," +
               fmt::format("{:.6f}", p.scores[i * classes + static_cast<std::size_t>(predicted[i])]) + "," +
               (right ? "1" : "0") + "\n";
      }
      write_text(stem + "-predictions.csv", csv);
      files["predictions_csv"] = stem + "-predictions.csv";
    }
    results_.add_class_metrics(m, names, files);
  }

  void compare(const check::Step& step) {
    report::Comparison comparison;
    comparison.data = exp_.data[static_cast<std::size_t>(step.data)].display;
    const auto data = store_.get(exp_, step.data);
    for (int index : step.models) {
      ModelState& s = st_.states[static_cast<std::size_t>(index)];
      report::CompareRow row;
      row.model = exp_.models[static_cast<std::size_t>(index)].name;
      row.test = evaluate(*executor_, s, *data, step.eval_batch, eval_config(index), nullptr, nullptr, options_.comm);
      if (auto t = st_.trained.find(index); t != st_.trained.end()) {
        const int train_data = exp_.steps[static_cast<std::size_t>(t->second.step)].data;
        row.history = t->second.history;
        row.train_data = exp_.data[static_cast<std::size_t>(train_data)].display;
        row.train = evaluate(*executor_, s, *store_.get(exp_, train_data), step.eval_batch, eval_config(index), nullptr,
                             nullptr, options_.comm);
      }
      comparison.rows.push_back(std::move(row));
    }
    const std::string stem = "compare-" + std::to_string(st_.sections.size() + 1);
    std::fprintf(out_, "\n%s", report::render_table(comparison).c_str());
    write_text(stem + ".csv", report::render_csv(comparison));
    for (const char* suffix : {".dat", ".gp"}) folder_.file("charts/" + stem + suffix);
    for (const char* suffix : {"-loss.svg", "-accuracy.svg"}) folder_.file(stem + suffix);
    const report::ChartFiles charts = report::write_charts(comparison, options_.out_dir, stem);
    if (!charts.error.empty()) std::fprintf(out_, "warning: %s\n", charts.error.c_str());
    results_.add_comparison(comparison, stem);
    st_.sections.push_back({comparison, charts});
    write_report();
    std::fprintf(out_, "report: %s/report.html\n\n", options_.out_dir.c_str());
  }

  /// report.html as the run stands: its trainings (with the history charts
  /// of all of them), evaluations and comparisons.
  void write_report() {
    std::map<std::string, std::vector<std::string>> donors;  // derived model -> the models its tensors came from
    for (const auto& m : exp_.models)
      for (const auto& [tensor, origin] : m.origins)
        if (origin.model >= 0) {
          auto& list = donors[m.name];
          const std::string& donor = exp_.models[static_cast<std::size_t>(origin.model)].name;
          if (std::find(list.begin(), list.end(), donor) == list.end()) list.push_back(donor);
        }
    const nlohmann::json& results = results_.json();
    report::ChartFiles history;
    const auto& trainings = results.value("trainings", nlohmann::json::array());
    if (!trainings.empty()) {
      for (const char* name : {"charts/history.dat", "charts/history.gp", "history-loss.svg", "history-accuracy.svg"})
        folder_.file(name);
      history = report::write_history_charts(report::history_phases(trainings, donors), options_.out_dir, "history");
      if (!history.error.empty()) std::fprintf(out_, "warning: %s\n", history.error.c_str());
    }
    write_text("report.html", report::render_html(exp_.script, results, history, st_.sections));
  }

  void closing_table() const {
    if (st_.evaluations.empty()) return;
    // Long names are cut with an ellipsis so the columns stay aligned; the
    // whole names are in results.json.
    auto fit = [](const std::string& text, std::size_t width) {
      return text.size() <= width ? text : text.substr(0, width - 3) + "...";
    };
    std::fprintf(out_, "\n%-16s %-28s %10s %10s %9s\n", "model", "data", "loss", "accuracy", "samples");
    for (const auto& r : st_.evaluations)
      std::fprintf(out_, "%-16s %-28s %10.4f %9.2f%% %9lld\n", fit(r.model, 16).c_str(), fit(r.data, 28).c_str(), r.stats.loss,
                   100 * r.stats.accuracy, static_cast<long long>(r.stats.samples));
  }

  const check::Experiment& exp_;
  data::DataStore& store_;
  std::map<const data::PixelStore*, std::size_t> noted_skips_;  // skipped files already noted, per store
  const SourceFile& source_;
  const RunOptions& options_;
  std::FILE* out_;
  RunFolder folder_;
  const std::string results_path_;
  const std::string shown_results_;  // results_path_ as messages name it
  report::Results results_;
  std::unique_ptr<exec::Executor> executor_;
  const std::string key_;
  RunState st_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

std::vector<ModelState> run_experiment(const check::Experiment& exp, data::DataStore& store, const SourceFile& source,
                                       const RunOptions& options) {
  RunOptions with_text = options;
  if (with_text.script_text.empty()) with_text.script_text = source.text();
  return Runner(exp, store, source, with_text).run();
}

}  // namespace tl::run
