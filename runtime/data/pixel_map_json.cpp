// Pixel maps as JSON; see pixel_map_json.hpp.
#include "runtime/data/pixel_map_json.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace tl::data {

nlohmann::json pixel_map_json(const PixelMap& map) {
  if (!map.per_channel())
    return {{"scale", static_cast<double>(map.float_scale())}, {"offset", static_cast<double>(map.float_offset())}};
  nlohmann::json scale = nlohmann::json::array(), offset = nlohmann::json::array();
  for (std::size_t c = 0; c < map.channel_scale.size(); ++c) {
    scale.push_back(static_cast<double>(map.float_scale(c)));
    offset.push_back(static_cast<double>(map.float_offset(c)));
  }
  return {{"scale", scale}, {"offset", offset}};
}

namespace {

constexpr double float_limit = 3.0e38;  // within float range, and finite

bool finite_float(double x) { return std::fabs(x) <= float_limit; }

}  // namespace

PixelMap pixel_map_from_json(const nlohmann::json& j, std::size_t channels) {
  const std::string shape = "not an object with numbers scale and offset (or arrays of them, one per channel)";
  const std::string range = "scale and offset must be finite floats and scale non-zero";
  if (!j.is_object() || !j.contains("scale") || !j.contains("offset")) throw std::invalid_argument(shape);
  const nlohmann::json &scale = j["scale"], &offset = j["offset"];
  PixelMap map;
  if (scale.is_number() && offset.is_number()) {
    map.scale = scale.get<double>();
    map.offset = offset.get<double>();
    if (!finite_float(map.scale) || !finite_float(map.offset) || map.scale == 0) throw std::invalid_argument(range);
    return map;
  }
  if (!scale.is_array() || !offset.is_array() || scale.empty() || scale.size() != offset.size())
    throw std::invalid_argument(shape);
  if (channels != 0 && scale.size() != channels)
    throw std::invalid_argument("it maps " + std::to_string(scale.size()) + " channels, but the model's input has " +
                                std::to_string(channels));
  for (std::size_t c = 0; c < scale.size(); ++c) {
    if (!scale[c].is_number() || !offset[c].is_number()) throw std::invalid_argument(shape);
    map.channel_scale.push_back(scale[c].get<double>());
    map.channel_offset.push_back(offset[c].get<double>());
    if (!finite_float(map.channel_scale.back()) || !finite_float(map.channel_offset.back()) ||
        map.channel_scale.back() == 0)
      throw std::invalid_argument(range);
  }
  return map;
}

}  // namespace tl::data
