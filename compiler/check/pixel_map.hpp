// PixelMap: how a byte becomes the float a model sees, for every channel the
// same (value = float(byte) * scale + offset) or, after an ImageNet-style
// `normalize mean a, b, c std x, y, z`, one scale and offset per channel.
//
// The float scale and offset are a multiply, then an add: two roundings,
// never fused, so every consumer computes the same float. The stages that
// build a map (`scale`, `normalize`) compose in double, so a chain of them
// rounds once, when a consumer takes the floats. The checker composes maps
// to check them; the runtime's datasets carry them (runtime/data/dataset.hpp).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace tl::check {

struct PixelMap {
  double scale = 1.0;
  double offset = 0.0;
  /// Per channel when not empty (then both hold one value per channel and
  /// `scale`/`offset` are unused).
  std::vector<double> channel_scale, channel_offset;

  bool per_channel() const { return !channel_scale.empty(); }
  double scale_of(std::size_t c) const { return per_channel() ? channel_scale.at(c) : scale; }
  double offset_of(std::size_t c) const { return per_channel() ? channel_offset.at(c) : offset; }
  float float_scale(std::size_t c) const { return static_cast<float>(scale_of(c)); }
  float float_offset(std::size_t c) const { return static_cast<float>(offset_of(c)); }
  /// The one scale of a map that is the same for every channel; throws
  /// std::logic_error for a per-channel map (a consumer that cannot apply one).
  float float_scale() const { return static_cast<float>(uniform("float_scale").scale); }
  float float_offset() const { return static_cast<float>(uniform("float_offset").offset); }

  /// Every value multiplied by `factor` afterwards.
  PixelMap scaled(double factor) const {
    PixelMap out = *this;
    out.scale *= factor;
    out.offset *= factor;
    for (double& s : out.channel_scale) s *= factor;
    for (double& o : out.channel_offset) o *= factor;
    return out;
  }
  /// Then (value - mean[c]) / std[c] for channel c, for `channels` channels:
  /// mean and std hold one value (the same for every channel) or one per
  /// channel. The result is per channel unless both hold one value and this
  /// map is not. Throws std::invalid_argument for other counts.
  PixelMap normalized(const std::vector<double>& mean, const std::vector<double>& std, std::size_t channels) const {
    auto pick = [&](const std::vector<double>& v, std::size_t c) {
      if (v.size() == 1) return v[0];
      if (v.size() == channels) return v[c];
      throw std::invalid_argument("PixelMap::normalized: give one value or one per channel");
    };
    PixelMap out;
    if (mean.size() == 1 && std.size() == 1 && !per_channel()) {
      out.scale = scale / std[0];
      out.offset = (offset - mean[0]) / std[0];
      return out;
    }
    for (std::size_t c = 0; c < channels; ++c) {
      out.channel_scale.push_back(scale_of(c) / pick(std, c));
      out.channel_offset.push_back((offset_of(c) - pick(mean, c)) / pick(std, c));
    }
    return out;
  }

 private:
  const PixelMap& uniform(const char* who) const {
    if (per_channel())
      throw std::logic_error(std::string("PixelMap::") + who + ": the map differs per channel");
    return *this;
  }
};

}  // namespace tl::check
