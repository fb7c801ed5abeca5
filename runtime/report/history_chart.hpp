// Every training of a run on one pair of charts (loss, accuracy per epoch):
// each model's trainings drawn as one continuous history, epochs numbered on
// from its previous training, and a model derived from others (transfer)
// starting where its donors' histories ended, so pretraining and the phases
// of fine-tuning read as one story. Validation curves dashed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/report/charts.hpp"

namespace tl::report {

/// One training on the continuous axis.
struct HistoryPhase {
  std::string model, data;
  int first_epoch = 1;  ///< its first epoch on the run's axis
  nlohmann::json history;  ///< results.json's per-epoch entries
};

/// The trainings of results.json's `trainings` on one axis. `donors`: for a
/// derived model, the models its tensors came from.
std::vector<HistoryPhase> history_phases(const nlohmann::json& trainings,
                                         const std::map<std::string, std::vector<std::string>>& donors);

/// Writes DIR/STEM-loss.svg and DIR/STEM-accuracy.svg (sources in DIR/charts/).
ChartFiles write_history_charts(const std::vector<HistoryPhase>& phases, const std::string& dir, const std::string& stem);

}  // namespace tl::report
