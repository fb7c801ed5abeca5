// The report of a repeated experiment (`repeat 5`): every run's results.json
// (one per seed, the same script) folded into figures over the seeds. For
// each comparison, each model's test accuracy, test loss, generalisation gap
// and convergence epoch as mean ± sd with a 95% confidence interval, and a
// verdict per model against the baseline from the paired t-test of the
// per-seed differences (report/seed_stats.hpp); for each evaluation, its
// accuracy and loss likewise. Every seed's figures are kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tl::report {

/// One run of the repeat: its seed and its results.json.
struct SeedRun {
  std::uint64_t seed = 0;
  std::string folder;    ///< relative to the repeat's folder ("seed-3")
  nlohmann::json results;
};

/// The repeat's results.json body: "repeat" (seeds, runs), "comparisons",
/// "evaluations". Throws std::invalid_argument when the runs disagree on
/// what they compared (they ran different scripts) or a run is incomplete.
nlohmann::json aggregate_repeats(const std::vector<SeedRun>& runs);

/// The figures as text, for the console: one table per comparison with its
/// verdict lines, then the evaluations.
std::string render_repeats(const nlohmann::json& aggregated);

/// One CSV row per (comparison, model, seed): comparison,data,model,seed,
/// test_accuracy,test_loss,generalization_gap,converged_epoch.
std::string render_repeats_csv(const nlohmann::json& aggregated);

}  // namespace tl::report
