// The experiment driver (see run_experiment.hpp).
#include "runtime/train/run_experiment.hpp"

#include <chrono>
#include <filesystem>
#include <map>

#include "dsl/diagnostics.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/report/charts.hpp"
#include "runtime/report/compare.hpp"
#include "runtime/report/html.hpp"
#include "runtime/report/progress.hpp"
#include "runtime/report/results.hpp"
#include "runtime/report/summary.hpp"
#include "runtime/train/trainer.hpp"

namespace tl::train {

std::vector<ModelState> run_experiment(const check::Experiment& exp, check::DataStore& store, const SourceFile& source,
                                       const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::filesystem::create_directories(options.out_dir);
  const std::string results_path = options.out_dir + "/results.json";
  report::Results results(exp, options.backend, options.threads);
  std::FILE* out = options.out;
  const std::unique_ptr<exec::Executor> executor = exec::make_executor(options.backend, options.threads);

  // 1. Every instance starts from fresh weights keyed by the experiment seed.
  std::vector<ModelState> states;
  for (const auto& m : exp.models) states.push_back(initialise(m, exp.seed));
  std::map<int, check::TrainConfig> last_config;  // loss used to evaluate a trained model

  struct Row {
    std::string model, data;
    EvalStats stats;
  };
  std::vector<Row> table;
  int train_index = 0;
  // The last training of each model, for comparisons and history.csv.
  struct Trained {
    int data = -1;
    std::vector<EpochStats> history;
  };
  std::map<int, Trained> trained;
  std::string history_csv = "model,data,epoch,loss,accuracy,val_loss,val_accuracy,seconds,steps\n";
  std::vector<report::ReportSection> sections;
  auto write_text = [&](const std::string& name, const std::string& text) {
    const std::string path = options.out_dir + "/" + name;
    std::FILE* f = std::fopen((path + ".tmp").c_str(), "w");
    if (!f || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0 || std::rename((path + ".tmp").c_str(), path.c_str()))
      throw std::runtime_error("cannot write " + path);
  };

  // 2. The steps, in script order.
  for (const check::Step& step : exp.steps) {
    const check::ModelSpec& model = exp.models[static_cast<std::size_t>(step.model)];
    ModelState& state = states[static_cast<std::size_t>(step.model)];
    try {
      switch (step.kind) {
        case check::Step::Kind::Load:
          state.vars = io::load_model(step.path).vars;
          break;
        case check::Step::Kind::Derive: {
          // Copy every reused tensor from its donor's weights as they are now.
          for (const auto& [tensor, origin] : model.origins) {
            if (origin.model < 0) continue;
            const auto& donor = states[static_cast<std::size_t>(origin.model)].vars.tensors;
            const auto it = donor.find(origin.tensor);
            if (it == donor.end() || it->second.shape() != state.vars.tensors.at(tensor).shape())
              throw std::logic_error("derive: tensor " + origin.tensor + " of model " +
                                     exp.models[static_cast<std::size_t>(origin.model)].name + " does not fit " + tensor);
            state.vars.tensors[tensor] = it->second;
          }
          break;
        }
        case check::Step::Kind::Compare: {
          const auto& node = exp.data[static_cast<std::size_t>(step.data)];
          const auto data = store.get(exp, step.data);
          report::Comparison comparison;
          comparison.data = node.display;
          for (int index : step.models) {
            const check::ModelSpec& m = exp.models[static_cast<std::size_t>(index)];
            ModelState& s = states[static_cast<std::size_t>(index)];
            auto it = last_config.find(index);
            const check::TrainConfig config = it != last_config.end() ? it->second : default_eval_config(m);
            report::CompareRow row;
            row.model = m.name;
            row.test = evaluate(*executor, s, *data, step.eval_batch, config);
            if (auto t = trained.find(index); t != trained.end()) {
              row.history = t->second.history;
              row.train_data = exp.data[static_cast<std::size_t>(t->second.data)].display;
              row.train = evaluate(*executor, s, *store.get(exp, t->second.data), step.eval_batch, config);
            }
            comparison.rows.push_back(std::move(row));
          }
          const std::string stem = "compare-" + std::to_string(sections.size() + 1);
          const std::string table = report::render_table(comparison);
          std::fprintf(out, "\n%s", table.c_str());
          write_text(stem + ".csv", report::render_csv(comparison));
          const report::ChartFiles charts = report::write_charts(comparison, options.out_dir, stem);
          if (!charts.error.empty()) std::fprintf(out, "warning: %s\n", charts.error.c_str());
          results.add_comparison(comparison, stem);
          sections.push_back({comparison, charts});
          write_text("report.html", report::render_html(exp.script, sections));
          std::fprintf(out, "report: %s/report.html\n\n", options.out_dir.c_str());
          break;
        }
        case check::Step::Kind::Summary:
          std::fprintf(out, "%s\n", report::summary(model).c_str());
          if (model.derived) {
            std::vector<std::string> names;
            for (const auto& m : exp.models) names.push_back(m.name);
            std::fprintf(out, "%s\n", report::manifest(model, names).c_str());
          }
          break;
        case check::Step::Kind::Train: {
          const auto& node = exp.data[static_cast<std::size_t>(step.data)];
          const auto data = store.get(exp, step.data);
          const auto validation = step.train.validation >= 0 ? store.get(exp, step.train.validation) : nullptr;
          std::fprintf(out, "Train %s on %s: %zu samples, batch %lld, %d epochs\n", model.name.c_str(),
                       node.display.c_str(), data->size(), static_cast<long long>(step.train.batch), step.train.epochs);
          report::ConsoleProgress progress(out, options.live);
          // Each train step draws its own shuffles and dropout masks.
          const std::uint64_t seed = step.train.seed.value_or(exp.seed + 0x9E3779B97F4A7C15ull * ++train_index);
          check::TrainConfig config = step.train;
          config.continue_on_nan = config.continue_on_nan || options.continue_on_nan;
          const auto history = fit(*executor, state, *data, config, seed, validation.get(), progress);
          results.add_training(model, node.display, static_cast<std::int64_t>(data->size()), step.train, history);
          last_config[step.model] = step.train;
          trained[step.model] = {step.data, history};
          io::save_model(options.out_dir + "/" + model.name + ".safetensors", model, state.vars);
          for (const auto& e : history) {
            char line[512];
            std::snprintf(line, sizeof line, "%s,%s,%d,%.6f,%.6f,%s,%s,%.3f,%lld\n", model.name.c_str(),
                          node.display.c_str(), e.epoch, e.loss, e.accuracy,
                          e.val_loss ? std::to_string(*e.val_loss).c_str() : "",
                          e.val_accuracy ? std::to_string(*e.val_accuracy).c_str() : "", e.seconds,
                          static_cast<long long>(e.steps));
            history_csv += line;
          }
          write_text("history.csv", history_csv);
          break;
        }
        case check::Step::Kind::Evaluate: {
          const auto& node = exp.data[static_cast<std::size_t>(step.data)];
          const auto data = store.get(exp, step.data);
          auto it = last_config.find(step.model);
          const check::TrainConfig config = it != last_config.end() ? it->second : default_eval_config(model);
          const EvalStats stats = evaluate(*executor, state, *data, step.eval_batch, config);
          std::fprintf(out, "Evaluate %s on %s: loss %.4f - accuracy %.4f (%lld samples, %.1fs)\n", model.name.c_str(),
                       node.display.c_str(), stats.loss, stats.accuracy, static_cast<long long>(stats.samples),
                       stats.seconds);
          results.add_evaluation(model, node.display, stats);
          table.push_back({model.name, node.display, stats});
          break;
        }
      }
    } catch (const std::runtime_error& e) {
      if (dynamic_cast<const DiagnosticError*>(&e)) throw;
      results.finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), "failed");
      results.write(results_path);
      throw DiagnosticError(make_diagnostic(source, step.where.offset, step.where.length, e.what(),
                                            "results of the steps before this one are in " + results_path));
    }
    std::fflush(out);
    results.write(results_path);
  }

  // 3. The closing table and the results file.
  if (!table.empty()) {
    std::fprintf(out, "\n%-16s %-28s %10s %10s %9s\n", "model", "data", "loss", "accuracy", "samples");
    for (const auto& r : table)
      std::fprintf(out, "%-16s %-28s %10.4f %9.2f%% %9lld\n", r.model.c_str(), r.data.c_str(), r.stats.loss,
                   100 * r.stats.accuracy, static_cast<long long>(r.stats.samples));
  }
  results.finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), "ok");
  results.write(results_path);
  std::fprintf(out, "\nresults: %s\n", results_path.c_str());
  std::fflush(out);
  return states;
}

}  // namespace tl::train
