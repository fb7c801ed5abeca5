// Checkpoint files (see checkpoint.hpp).
#include "runtime/run/checkpoint.hpp"

#include <filesystem>

#include "runtime/data/data_error.hpp"
#include "runtime/io/safetensors.hpp"
#include "compiler/ir/philox.hpp"

namespace tl::run {

using namespace tl::train;

namespace {

using nlohmann::json;

json to_json(const EpochStats& e) {
  json j = {{"epoch", e.epoch}, {"loss", e.loss}, {"accuracy", e.accuracy},
            {"seconds", e.seconds}, {"steps", e.steps}, {"samples", e.samples}, {"lr_scale", e.lr_scale},
            {"compile_seconds", e.compile_seconds}};
  if (e.val_loss) j["val_loss"] = *e.val_loss, j["val_accuracy"] = *e.val_accuracy;
  return j;
}

EpochStats epoch_from(const json& j) {
  EpochStats e;
  e.epoch = j.at("epoch");
  e.loss = j.at("loss");
  e.accuracy = j.at("accuracy");
  e.seconds = j.at("seconds");
  e.steps = j.at("steps");
  e.samples = j.at("samples");
  e.lr_scale = j.value("lr_scale", 1.0);
  e.compile_seconds = j.value("compile_seconds", 0.0);
  if (j.contains("val_loss")) e.val_loss = j["val_loss"].get<double>(), e.val_accuracy = j["val_accuracy"].get<double>();
  return e;
}

json to_json(const EvalStats& s) {
  return {{"loss", s.loss}, {"accuracy", s.accuracy}, {"seconds", s.seconds}, {"samples", s.samples}};
}

EvalStats eval_from(const json& j) { return {j.at("loss"), j.at("accuracy"), j.at("seconds"), j.at("samples")}; }

json history_json(const std::vector<EpochStats>& h) {
  json out = json::array();
  for (const auto& e : h) out.push_back(to_json(e));
  return out;
}

std::vector<EpochStats> history_from(const json& j) {
  std::vector<EpochStats> out;
  for (const auto& e : j) out.push_back(epoch_from(e));
  return out;
}

/// Checkpoint tensors of the best epoch (early_stop restore_best): "best:<tensor>".
constexpr const char* kBestPrefix = "best:";

std::string tensor_key(std::size_t model, const std::string& tensor) { return std::to_string(model) + ":" + tensor; }

}  // namespace

std::string checkpoint_key(const std::string& script_text, std::uint64_t seed) {
  const std::string text = "tl 0.1.0\n" + std::to_string(seed) + "\n" + script_text;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng::stream_of(text.c_str())));
  return hex;
}

void save_checkpoint(const std::string& dir, const std::string& key, const RunState& st) {
  const std::string folder = dir + "/checkpoint";
  std::filesystem::create_directories(folder);
  io::TensorFile tensors;
  for (std::size_t m = 0; m < st.states.size(); ++m)
    for (const auto& [name, t] : st.states[m].vars.tensors) tensors.tensors[tensor_key(m, name)] = t;
  json trained = json::object();
  for (const auto& [model, t] : st.trained) trained[std::to_string(model)] = {{"step", t.step}, {"history", history_json(t.history)}};
  json evaluations = json::array();
  for (const auto& r : st.evaluations) evaluations.push_back({{"model", r.model}, {"data", r.data}, {"stats", to_json(r.stats)}});
  json sections = json::array();
  for (const auto& s : st.sections) {
    json rows = json::array();
    for (const auto& r : s.comparison.rows) {
      json row = {{"model", r.model}, {"test", to_json(r.test)}, {"history", history_json(r.history)}, {"train_data", r.train_data}};
      if (r.train) row["train"] = to_json(*r.train);
      rows.push_back(row);
    }
    sections.push_back({{"data", s.comparison.data}, {"rows", rows},
                        {"charts", {s.charts.loss, s.charts.accuracy, s.charts.error}}});
  }
  json j = {{"key", key}, {"next_step", st.next_step}, {"trained", trained},
            {"evaluations", evaluations}, {"sections", sections}, {"history_csv", st.history_csv},
            {"results", st.results}};
  if (st.fit) {
    j["fit"] = {{"epochs_done", st.fit->epochs_done}, {"step_counter", st.fit->step_counter},
                {"history", history_json(st.fit->history)}};
    if (const auto& best = st.fit->best) {  // the watch, and the weights early_stop would restore
      j["fit"]["best"] = {{"epoch", best->epoch}, {"value", best->value}, {"wait", best->wait}, {"stopped", best->stopped}};
      for (const auto& [name, t] : best->weights.tensors) tensors.tensors[kBestPrefix + name] = t;
    }
  }
  // One file holds both the tensors and the state (in its metadata), written
  // by an atomic rename: a process killed at any moment leaves either the
  // previous checkpoint or the new one, never a mix.
  tensors.metadata["tl.checkpoint"] = j.dump();
  io::write_safetensors(folder + "/checkpoint.safetensors", tensors);
}

void load_checkpoint(const std::string& dir, const std::string& key, const check::Experiment& exp, RunState& st) {
  const std::string folder = dir + "/checkpoint";
  const std::string state_path = folder + "/checkpoint.safetensors";
  if (!std::filesystem::exists(state_path))
    throw data::DataError(state_path, std::nullopt, "there is no checkpoint to resume from",
                          "run without --resume, or pass the --out folder of the interrupted run");
  const io::TensorFile tensors = io::read_safetensors(state_path);
  const auto saved = tensors.metadata.find("tl.checkpoint");
  if (saved == tensors.metadata.end())
    throw data::DataError(state_path, std::nullopt, "the file holds no checkpoint state", "remove " + folder + " and run again");
  json j;
  try {
    j = json::parse(saved->second);
  } catch (const json::parse_error& e) {
    throw data::DataError(state_path, std::nullopt, "the checkpoint is damaged (invalid JSON)", "remove " + folder + " and run again");
  }
  if (j.value("key", "") != key)
    throw data::DataError(state_path, std::nullopt, "this checkpoint was made by a different script text or seed",
                          "resume with the same script and seed, or remove " + folder);
  try {
    st.next_step = j.at("next_step");
    for (auto& s : st.states) s.vars.tensors.clear();
    exec::Variables best_weights;
    for (const auto& [name, t] : tensors.tensors) {
      if (name.rfind(kBestPrefix, 0) == 0) {
        best_weights.tensors[name.substr(std::string(kBestPrefix).size())] = t;
        continue;
      }
      const auto colon = name.find(':');
      const std::size_t model = std::stoul(name.substr(0, colon));
      if (model >= st.states.size()) throw std::out_of_range("model index");
      st.states[model].vars.tensors[name.substr(colon + 1)] = t;
    }
    for (const auto& [model, t] : j.at("trained").items())
      st.trained[std::stoi(model)] = {t.at("step").get<int>(), history_from(t.at("history"))};
    for (const auto& r : j.at("evaluations")) st.evaluations.push_back({r.at("model"), r.at("data"), eval_from(r.at("stats"))});
    for (const auto& s : j.at("sections")) {
      report::ReportSection section;
      section.comparison.data = s.at("data");
      for (const auto& r : s.at("rows")) {
        report::CompareRow row;
        row.model = r.at("model");
        row.test = eval_from(r.at("test"));
        row.history = history_from(r.at("history"));
        row.train_data = r.at("train_data");
        if (r.contains("train")) row.train = eval_from(r["train"]);
        section.comparison.rows.push_back(row);
      }
      section.charts = {s.at("charts").at(0), s.at("charts").at(1), s.at("charts").at(2)};
      st.sections.push_back(section);
    }
    st.history_csv = j.at("history_csv");
    st.results = j.at("results");
    if (j.contains("fit")) {
      st.fit = FitProgress{j["fit"].at("epochs_done"), j["fit"].at("step_counter"), history_from(j["fit"].at("history")),
                           std::nullopt};
      if (j["fit"].contains("best")) {
        const json& b = j["fit"]["best"];
        st.fit->best = BestEpoch{b.at("epoch"), b.at("value"), b.at("wait"), b.at("stopped"), std::move(best_weights)};
      }
    }
    if (st.next_step > exp.steps.size()) throw std::out_of_range("step index");
  } catch (const std::exception& e) {
    throw data::DataError(state_path, std::nullopt, std::string("the checkpoint is damaged: ") + e.what(),
                          "remove " + folder + " and run again");
  }
}

void remove_checkpoint(const std::string& dir) { std::filesystem::remove_all(dir + "/checkpoint"); }

}  // namespace tl::run
