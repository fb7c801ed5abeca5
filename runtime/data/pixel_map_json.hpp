// A pixel map as JSON, the one spelling results.json, model files
// ("tl.pixels") and ONNX metadata share:
//   {"scale": S, "offset": O}                          the same for every channel
//   {"scale": [S0, S1, ...], "offset": [O0, O1, ...]}  one per channel
// The numbers are the floats a consumer applies (data::PixelMap's float_scale
// and float_offset), written as doubles with 17 digits so they read back
// exactly.
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

#include "runtime/data/dataset.hpp"

namespace tl::data {

nlohmann::json pixel_map_json(const PixelMap& map);

/// The map `j` spells, for data of `channels` channels (0: any). Throws
/// std::invalid_argument saying what is wrong: not an object with scale and
/// offset, not numbers or arrays of them, arrays of another length than
/// `channels` (or of different lengths), a scale or offset that is not a
/// finite float, a zero scale.
PixelMap pixel_map_from_json(const nlohmann::json& j, std::size_t channels = 0);

}  // namespace tl::data
