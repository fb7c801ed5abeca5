// Data augmentation; see augment.hpp. Each sample draws its random numbers
// from its own Philox stream (the stream of "augment", or of
// "augment-noise", plus the sample's index), with hi = epoch and the k-th
// number it needs as the index.
#include "runtime/data/augment.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "compiler/ir/philox.hpp"

namespace tl::data {

namespace {

using Kind = check::AugmentSpec::Kind;

/// The random numbers of one sample in one epoch.
class SampleDraws {
 public:
  SampleDraws(const AugmentDraw& d, std::uint32_t sample) : d_(d), stream_(base_stream() + sample) {}
  /// Uniform in [0, 1).
  float uniform() { return rng::uniform(d_.seed, stream_, d_.epoch, next_++); }
  /// Uniform integer in [lo, hi].
  int between(int lo, int hi) { return lo + static_cast<int>(uniform() * static_cast<float>(hi - lo + 1) * 0.99999994f); }

 private:
  static std::uint64_t base_stream() {
    static const std::uint64_t s = rng::stream_of("augment");
    return s;
  }
  AugmentDraw d_;
  std::uint64_t stream_;
  std::uint64_t next_ = 0;
};

std::uint8_t clamp_byte(float v) { return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0l, 255l)); }

/// out(y, x) = in(y - dy, x - dx), zeros outside.
void shift(const std::uint8_t* in, std::uint8_t* out, int h, int w, int c, int dy, int dx) {
  std::memset(out, 0, std::size_t(h) * w * c);
  for (int y = 0; y < h; ++y) {
    const int sy = y - dy;
    if (sy < 0 || sy >= h) continue;
    for (int x = 0; x < w; ++x) {
      const int sx = x - dx;
      if (sx < 0 || sx >= w) continue;
      std::memcpy(out + (std::size_t(y) * w + x) * c, in + (std::size_t(sy) * w + sx) * c, std::size_t(c));
    }
  }
}

void rotate(const std::uint8_t* in, std::uint8_t* out, int h, int w, int c, float degrees) {
  const float a = degrees * 3.14159265f / 180.0f, cs = std::cos(a), sn = std::sin(a);
  const float cy = (h - 1) * 0.5f, cx = (w - 1) * 0.5f;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      // The source of (y, x): rotate back about the centre.
      const float sx = cs * (x - cx) + sn * (y - cy) + cx, sy = -sn * (x - cx) + cs * (y - cy) + cy;
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      const float fx = sx - x0, fy = sy - y0;
      for (int ch = 0; ch < c; ++ch) {
        auto at = [&](int yy, int xx) -> float {
          return yy < 0 || yy >= h || xx < 0 || xx >= w ? 0.0f : in[(std::size_t(yy) * w + xx) * c + ch];
        };
        const float v = (at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx) * (1 - fy) +
                        (at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx) * fy;
        out[(std::size_t(y) * w + x) * c + ch] = clamp_byte(v);
      }
    }
}

}  // namespace

bool has_noise(const std::vector<check::AugmentSpec>& specs) {
  return std::any_of(specs.begin(), specs.end(), [](const check::AugmentSpec& s) { return s.kind == Kind::Noise; });
}

void augment_bytes(const std::vector<check::AugmentSpec>& specs, const AugmentDraw& draw, const std::uint32_t* indices,
                   std::size_t count, int h, int w, int c, std::uint8_t* bytes) {
  const std::size_t sample = std::size_t(h) * w * c;
  std::vector<std::uint8_t> scratch(sample);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint8_t* px = bytes + i * sample;
    SampleDraws r(draw, indices[i]);
    for (const check::AugmentSpec& s : specs) {
      switch (s.kind) {
        case Kind::Flip: {
          const bool fh = s.horizontal && r.uniform() < 0.5f, fv = s.vertical && r.uniform() < 0.5f;
          if (!fh && !fv) break;
          std::memcpy(scratch.data(), px, sample);
          for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
              std::memcpy(px + (std::size_t(y) * w + x) * c,
                          scratch.data() + (std::size_t(fv ? h - 1 - y : y) * w + (fh ? w - 1 - x : x)) * c, std::size_t(c));
          break;
        }
        case Kind::Crop: {
          // The window's top-left corner in the padded image, (0..2P, 0..2P).
          const int top = r.between(0, 2 * s.padding), left = r.between(0, 2 * s.padding);
          std::memcpy(scratch.data(), px, sample);
          shift(scratch.data(), px, h, w, c, s.padding - top, s.padding - left);
          break;
        }
        case Kind::Translate: {
          const int my = static_cast<int>(std::floor(s.amount * h)), mx = static_cast<int>(std::floor(s.amount * w));
          const int dy = r.between(-my, my), dx = r.between(-mx, mx);
          std::memcpy(scratch.data(), px, sample);
          shift(scratch.data(), px, h, w, c, dy, dx);
          break;
        }
        case Kind::Rotate: {
          const float degrees = static_cast<float>((2 * r.uniform() - 1) * s.amount);
          std::memcpy(scratch.data(), px, sample);
          rotate(scratch.data(), px, h, w, c, degrees);
          break;
        }
        case Kind::Brightness: {
          const float delta = static_cast<float>((2 * r.uniform() - 1) * s.amount * 255.0);
          for (std::size_t k = 0; k < sample; ++k) px[k] = clamp_byte(px[k] + delta);
          break;
        }
        case Kind::Contrast: {
          const float factor = static_cast<float>(1 + (2 * r.uniform() - 1) * s.amount);
          for (int ch = 0; ch < c; ++ch) {
            double sum = 0;
            for (std::size_t k = std::size_t(ch); k < sample; k += std::size_t(c)) sum += px[k];
            const float mean = static_cast<float>(sum / (double(h) * w));
            for (std::size_t k = std::size_t(ch); k < sample; k += std::size_t(c))
              px[k] = clamp_byte((px[k] - mean) * factor + mean);
          }
          break;
        }
        case Kind::Noise:
          break;  // add_noise, once the pixel map is applied
      }
    }
  }
}

void add_noise(const std::vector<check::AugmentSpec>& specs, const AugmentDraw& draw, const std::uint32_t* indices,
               std::size_t count, std::size_t sample, float* values) {
  for (const check::AugmentSpec& s : specs) {
    if (s.kind != Kind::Noise) continue;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t stream = rng::stream_of("augment-noise") + indices[i];
      for (std::size_t k = 0; k < sample; k += 2) {
        // Box-Muller: values k and k + 1 from uniforms k and k + 1.
        const float u1 = std::max(rng::uniform(draw.seed, stream, draw.epoch, k), 1e-7f);
        const float u2 = rng::uniform(draw.seed, stream, draw.epoch, k + 1);
        const float radius = std::sqrt(-2.0f * std::log(u1)) * static_cast<float>(s.amount);
        values[i * sample + k] += radius * std::cos(6.2831853f * u2);
        if (k + 1 < sample) values[i * sample + k + 1] += radius * std::sin(6.2831853f * u2);
      }
    }
  }
}

}  // namespace tl::data
