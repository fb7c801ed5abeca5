// Checkpoints: the RunState of an experiment saved atomically to
// DIR/checkpoint/checkpoint.safetensors (every model's weights and optimizer
// slots as tensors, the rest as JSON in its metadata) at the start, after
// every epoch and after every step, so a run
// stopped by Ctrl-C or killed resumes with `tlc run --resume` to bit-identical
// final weights. A checkpoint belongs to one script text and seed.
#pragma once

#include <string>

#include "compiler/check/experiment.hpp"
#include "runtime/run/run_state.hpp"

namespace tl::run {

/// Identifies the script text, seed and tl version a checkpoint belongs to.
std::string checkpoint_key(const std::string& script_text, std::uint64_t seed);

void save_checkpoint(const std::string& dir, const std::string& key, const RunState& state);

/// Restores `state` (whose `states` are already initialised for `exp`).
/// Throws data::DataError if there is no checkpoint, it is damaged, or it
/// belongs to another script or seed.
void load_checkpoint(const std::string& dir, const std::string& key, const check::Experiment& exp, RunState& state);

void remove_checkpoint(const std::string& dir);

}  // namespace tl::run
