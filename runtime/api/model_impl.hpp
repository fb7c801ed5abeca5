// Private: what a tl::Model holds, shared by model.cpp and experiment.cpp.
#pragma once

#include <map>
#include <mutex>
#include <optional>

#include "compiler/check/experiment.hpp"
#include "compiler/lower/step_graph.hpp"
#include "runtime/data/dataset.hpp"
#include "runtime/exec/executor.hpp"
#include "tl/tl.hpp"

namespace tl {

/// The public pixel map and the runtime's (compiler/check/pixel_map.hpp).
inline data::PixelMap to_data(const PixelMap& map) {
  data::PixelMap out{map.scale, map.offset};
  out.channel_scale.assign(map.channel_scale.begin(), map.channel_scale.end());
  out.channel_offset.assign(map.channel_offset.begin(), map.channel_offset.end());
  return out;
}
inline PixelMap from_data(const data::PixelMap& map) {
  if (!map.per_channel()) return {map.float_scale(), map.float_offset()};
  PixelMap out;
  for (std::size_t c = 0; c < map.channel_scale.size(); ++c) {
    out.channel_scale.push_back(map.float_scale(c));
    out.channel_offset.push_back(map.float_offset(c));
  }
  return out;
}

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
