// Private: what a tl::Model holds, shared by model.cpp and experiment.cpp.
#pragma once

#include <map>
#include <mutex>
#include <optional>

#include "compiler/check/experiment.hpp"
#include "compiler/lower/step_graph.hpp"
#include "runtime/exec/executor.hpp"
#include "tl/tl.hpp"

namespace tl {

struct Model::Impl {
  check::ModelSpec spec;
  exec::Variables vars;
  std::optional<PixelMap> pixels;  ///< see Model::pixels()
  std::string backend = "jit";  // the fast path; the reference is the oracle in tests
  // Predict graphs by batch size, built once; guarded for concurrent predicts.
  mutable std::mutex mutex;
  mutable std::map<std::int64_t, std::shared_ptr<const lower::StepGraph>> predict_graphs;
};

}  // namespace tl
