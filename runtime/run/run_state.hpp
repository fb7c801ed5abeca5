// Everything an experiment run has produced so far: model states, what was
// trained on what, evaluation rows, comparisons, the results document, and
// where the run stands. The runner keeps it; checkpoints save and restore it,
// so a resumed run continues exactly where the checkpoint was taken.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/report/html.hpp"
#include "runtime/train/model_state.hpp"
#include "runtime/train/trainer.hpp"

namespace tl::run {

struct RunState {
  struct Trained {
    int step = -1;  // the Train step (its config is the loss used to evaluate)
    std::vector<train::EpochStats> history;
  };
  struct EvalRow {
    std::string model, data;
    train::EvalStats stats;
  };

  std::vector<train::ModelState> states;     // index = experiment model index
  std::map<int, Trained> trained;     // model index -> its last training
  std::vector<EvalRow> evaluations;   // for the closing table
  std::vector<report::ReportSection> sections;
  std::string history_csv;
  nlohmann::json results;             // results.json as it stands
  std::size_t next_step = 0;          // first step not yet finished
  std::optional<train::FitProgress> fit;     // a training interrupted after whole epochs
};

}  // namespace tl::run
