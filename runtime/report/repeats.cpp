// Folding repeated runs into figures over seeds; see repeats.hpp.
#include "runtime/report/repeats.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "runtime/report/csv_field.hpp"
#include "runtime/report/seed_stats.hpp"

namespace tl::report {

namespace {

using nlohmann::json;

/// A figure of a run; a run that diverged has null (NaN) figures, which no
/// statistics over seeds can use.
double finite(const json& v, std::uint64_t seed, const std::string& what) {
  if (!v.is_number())
    throw std::invalid_argument(fmt::format("the run with seed {} has no finite {} (did it diverge?)", seed, what));
  return v.get<double>();
}

json figures(const std::vector<double>& values) {
  const SeedSummary s = summarize(values);
  return {{"values", values}, {"mean", s.mean}, {"sd", s.sd}, {"ci95", {s.ci_low, s.ci_high}}};
}

std::vector<double> values_of(const json& figures) { return figures.at("values").get<std::vector<double>>(); }

/// Every run's field `key` of comparison `c`, row `r`; empty when a run lacks it.
std::vector<double> per_seed(const std::vector<SeedRun>& runs, std::size_t c, std::size_t r, const char* key) {
  std::vector<double> out;
  for (const auto& run : runs) {
    const json& row = run.results.at("comparisons").at(c).at("rows").at(r);
    if (!row.contains(key)) return {};
    out.push_back(finite(row.at(key), run.seed, key));
  }
  return out;
}

/// The model's last training in a run's results.json, or null.
const json* last_training(const json& results, const std::string& model) {
  const json* found = nullptr;
  for (const json& t : results.at("trainings"))
    if (t.at("model") == model) found = &t;
  return found;
}

/// Per epoch of the model's last training, each metric over the seeds; empty
/// when a run did not train it or the runs trained it for different epochs.
json curves(const std::vector<SeedRun>& runs, const std::string& model) {
  std::vector<const json*> histories;
  for (const auto& run : runs) {
    const json* t = last_training(run.results, model);
    if (!t) return json::array();
    histories.push_back(&t->at("history"));
  }
  const std::size_t epochs = histories.front()->size();
  for (const json* h : histories)
    if (h->size() != epochs) return json::array();
  json out = json::array();
  for (std::size_t e = 0; e < epochs; ++e) {
    json point = {{"epoch", (*histories.front())[e].at("epoch")}};
    for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
      std::vector<double> v;
      for (const json* h : histories)
        if ((*h)[e].contains(key) && (*h)[e][key].is_number()) v.push_back((*h)[e][key].get<double>());
      if (v.size() == histories.size()) point[key] = figures(v);
    }
    out.push_back(point);
  }
  return out;
}

std::string verdict_of(const PairedTest& t) {
  if (t.significant()) return t.mean > 0 ? "better" : "worse";
  return "no significant difference";
}

std::string signed_points(double fraction) { return fmt::format("{:+.2f}", 100 * fraction); }

}  // namespace

json aggregate_repeats(const std::vector<SeedRun>& runs) {
  if (runs.empty()) throw std::invalid_argument("aggregate_repeats: no runs");
  json out = {{"repeat", {{"seeds", json::array()}, {"runs", json::array()}}},
              {"comparisons", json::array()},
              {"evaluations", json::array()}};
  for (const auto& run : runs) {
    if (run.results.value("status", "") != "ok")
      throw std::invalid_argument(fmt::format("the run with seed {} did not finish (status {})", run.seed,
                                              run.results.value("status", "missing")));
    out["repeat"]["seeds"].push_back(run.seed);
    out["repeat"]["runs"].push_back({{"seed", run.seed}, {"folder", run.folder}, {"results", run.folder + "/results.json"}});
  }
  const json& first = runs.front().results;
  // Comparisons: the same models on the same data in every run.
  for (std::size_t c = 0; c < first.at("comparisons").size(); ++c) {
    const json& fc = first["comparisons"][c];
    for (const auto& run : runs) {
      const json& rc = run.results.at("comparisons").at(c);
      if (rc.at("data") != fc.at("data") || rc.at("rows").size() != fc.at("rows").size())
        throw std::invalid_argument(fmt::format("the run with seed {} compared something else", run.seed));
    }
    json models = json::array(), verdicts = json::array();
    std::vector<double> baseline_acc, baseline_loss;
    for (std::size_t r = 0; r < fc["rows"].size(); ++r) {
      const std::string model = fc["rows"][r].at("model");
      json m = {{"model", model}};
      const auto acc = per_seed(runs, c, r, "test_accuracy"), loss = per_seed(runs, c, r, "test_loss");
      m["test_accuracy"] = figures(acc);
      m["test_loss"] = figures(loss);
      for (const char* key : {"generalization_gap", "converged_epoch", "train_seconds"})
        if (const auto v = per_seed(runs, c, r, key); !v.empty()) m[key] = figures(v);
      if (json h = curves(runs, model); !h.empty()) m["history"] = std::move(h);
      models.push_back(m);
      if (r == 0) {
        baseline_acc = acc;
        baseline_loss = loss;
        continue;
      }
      const PairedTest t = paired_t_test(baseline_acc, acc), tl = paired_t_test(baseline_loss, loss);
      verdicts.push_back({{"model", model},
                          {"baseline", fc["rows"][0].at("model")},
                          {"test", "paired t-test over seeds"},
                          {"seeds", t.n},
                          {"accuracy_difference", t.mean},
                          {"sd", t.sd},
                          {"ci95", {t.ci_low, t.ci_high}},
                          {"t", std::isfinite(t.t) ? json(t.t) : json(t.t > 0 ? "inf" : "-inf")},
                          {"p", t.p},
                          {"loss_difference", tl.mean},
                          {"verdict", verdict_of(t)}});
    }
    out["comparisons"].push_back({{"data", fc.at("data")}, {"baseline", fc.at("baseline")}, {"models", models},
                                  {"verdicts", verdicts}});
  }
  // Evaluations, in script order.
  for (std::size_t e = 0; e < first.at("evaluations").size(); ++e) {
    std::vector<double> acc, loss;
    for (const auto& run : runs) {
      const json& ev = run.results.at("evaluations").at(e);
      acc.push_back(finite(ev.at("accuracy"), run.seed, "evaluation accuracy"));
      loss.push_back(finite(ev.at("loss"), run.seed, "evaluation loss"));
    }
    const json& fe = first["evaluations"][e];
    out["evaluations"].push_back(
        {{"model", fe.at("model")}, {"split", fe.at("split")}, {"accuracy", figures(acc)}, {"loss", figures(loss)}});
  }
  return out;
}

std::string render_repeats(const json& a) {
  const std::size_t n = a.at("repeat").at("seeds").size();
  std::string out;
  auto percent = [](const json& f) {
    return fmt::format("{:6.2f}% ± {:4.2f} [{:.2f}, {:.2f}]", 100 * f["mean"].get<double>(), 100 * f["sd"].get<double>(),
                       100 * f["ci95"][0].get<double>(), 100 * f["ci95"][1].get<double>());
  };
  for (std::size_t c = 0; c < a["comparisons"].size(); ++c) {
    const json& cmp = a["comparisons"][c];
    out += fmt::format("Comparison {} on {}, over {} seeds (mean ± sd [95% confidence interval]):\n", c + 1,
                       cmp["data"].get<std::string>(), n);
    out += fmt::format("  {:<16} {:<34} {:<18} {:<16} {}\n", "model", "test accuracy", "test loss", "gap (points)",
                       "converged at epoch");
    for (const json& m : cmp["models"]) {
      const json& loss = m["test_loss"];
      std::string gap = "-", converged = "-";
      if (m.contains("generalization_gap"))
        gap = fmt::format("{:+.2f} ± {:.2f}", 100 * m["generalization_gap"]["mean"].get<double>(),
                          100 * m["generalization_gap"]["sd"].get<double>());
      if (m.contains("converged_epoch"))
        converged = fmt::format("{:.1f} ± {:.1f}", m["converged_epoch"]["mean"].get<double>(),
                                m["converged_epoch"]["sd"].get<double>());
      std::string name = m["model"].get<std::string>();
      if (name.size() > 16) name = name.substr(0, 13) + "...";
      out += fmt::format("  {:<16} {:<34} {:<18} {:<16} {}\n", name, percent(m["test_accuracy"]),
                         fmt::format("{:.4f} ± {:.4f}", loss["mean"].get<double>(), loss["sd"].get<double>()), gap,
                         converged);
    }
    for (const json& v : cmp["verdicts"]) {
      const std::string t = v["t"].is_string() ? v["t"].get<std::string>() : fmt::format("{:.2f}", v["t"].get<double>());
      out += fmt::format("  {} vs {}: {} points (95% CI {} to {}); paired t-test over {} seeds: t = {}, p = {:.4f}: {}\n",
                         v["model"].get<std::string>(), v["baseline"].get<std::string>(),
                         signed_points(v["accuracy_difference"].get<double>()), signed_points(v["ci95"][0].get<double>()),
                         signed_points(v["ci95"][1].get<double>()), v["seeds"].get<std::size_t>(), t,
                         v["p"].get<double>(), v["verdict"].get<std::string>());
    }
    out += "\n";
  }
  if (!a["evaluations"].empty()) {
    out += fmt::format("Evaluations over {} seeds (mean ± sd [95% confidence interval]):\n", n);
    for (const json& e : a["evaluations"])
      out += fmt::format("  {:<16} on {:<28} accuracy {}  loss {:.4f} ± {:.4f}\n", e["model"].get<std::string>(),
                         e["split"].get<std::string>(), percent(e["accuracy"]), e["loss"]["mean"].get<double>(),
                         e["loss"]["sd"].get<double>());
  }
  return out;
}

std::string render_repeats_csv(const json& a) {
  std::string out = "comparison,data,model,seed,test_accuracy,test_loss,generalization_gap,converged_epoch\n";
  const json& seeds = a.at("repeat").at("seeds");
  for (std::size_t c = 0; c < a["comparisons"].size(); ++c) {
    const json& cmp = a["comparisons"][c];
    for (const json& m : cmp["models"])
      for (std::size_t s = 0; s < seeds.size(); ++s) {
        auto value = [&](const char* key) {
          return m.contains(key) ? fmt::format("{:.6f}", values_of(m[key]).at(s)) : std::string();
        };
        out += fmt::format("{},{},{},{},{},{},{},{}\n", c + 1, csv_field(cmp["data"].get<std::string>()),
                           csv_field(m["model"].get<std::string>()), seeds[s].get<std::uint64_t>(), value("test_accuracy"),
                           value("test_loss"), value("generalization_gap"), value("converged_epoch"));
      }
  }
  return out;
}

}  // namespace tl::report
