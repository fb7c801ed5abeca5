// A model instance at run time: its checked spec and its persistent tensors
// (weights, batchnorm statistics, optimizer slots), initialised the Keras way
// from the counter-based RNG.
#pragma once

#include <cstdint>

#include "compiler/check/experiment.hpp"
#include "runtime/exec/executor.hpp"

namespace tl::train {

struct ModelState {
  const check::ModelSpec* spec = nullptr;
  exec::Variables vars;
};

/// Fresh weights: kernels glorot-uniform (limit sqrt(6 / (fan_in + fan_out))),
/// biases and beta zero, gamma and moving variance one. Element i of tensor T
/// of model M draws Philox(seed, stream "M/T", 0, i), so the values depend
/// only on the seed and the names, never on threads or order.
ModelState initialise(const check::ModelSpec& spec, std::uint64_t seed);

/// Drops optimizer slots (ir::is_optimizer_slot: "<param>/adam_m", ...): each
/// train step starts a fresh optimizer, like a Keras compile().
void reset_optimizer(ModelState& state);

}  // namespace tl::train
