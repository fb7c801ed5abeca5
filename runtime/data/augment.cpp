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

/// One axis of a run of flips, crops and translations composed into one
/// index map: output coordinate y reads source coordinate a * y + b when
/// lo <= y < hi, and is zero elsewhere (a is +1 or -1).
struct AxisMap {
  int a = 1, b = 0, lo = 0, hi = 0;
  explicit AxisMap(int n) : hi(n) {}
  /// Composes a later operation whose output y reads its input at na * y + nb
  /// (zero when that is outside [0, n)).
  void then(int na, int nb, int n) {
    // The later op's outputs whose input lies in [lo, hi), this map's valid range.
    const int from = na == 1 ? lo - nb : nb - hi + 1, to = na == 1 ? hi - nb : nb - lo + 1;
    lo = std::max(0, from);
    hi = std::max(lo, std::min(n, to));
    b = a * nb + b;
    a = a * na;
  }
  bool identity(int n) const { return a == 1 && b == 0 && lo == 0 && hi == n; }
};

/// Applies composed maps to `px` (through `scratch`) in one pass, row by row.
void remap(std::uint8_t* px, std::uint8_t* scratch, int h, int w, int c, const AxisMap& my, const AxisMap& mx) {
  const std::size_t row = std::size_t(w) * c;
  std::memcpy(scratch, px, std::size_t(h) * row);
  std::memset(px, 0, std::size_t(h) * row);
  for (int y = my.lo; y < my.hi; ++y) {
    const std::uint8_t* src = scratch + std::size_t(my.a * y + my.b) * row;
    std::uint8_t* dst = px + std::size_t(y) * row;
    if (mx.a == 1) {
      std::memcpy(dst + std::size_t(mx.lo) * c, src + std::size_t(mx.lo + mx.b) * c, std::size_t(mx.hi - mx.lo) * c);
    } else if (c == 1) {
      for (int x = mx.lo; x < mx.hi; ++x) dst[x] = src[mx.b - x];
    } else {
      for (int x = mx.lo; x < mx.hi; ++x)
        std::memcpy(dst + std::size_t(x) * c, src + std::size_t(mx.b - x) * c, std::size_t(c));
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
    // Flips, crops and translations only move pixels: a run of them is
    // composed into one index map per axis and applied in one pass when the
    // run ends (before any other augmentation, and at the end).
    AxisMap map_y(h), map_x(w);
    auto flush = [&] {
      if (!map_y.identity(h) || !map_x.identity(w)) remap(px, scratch.data(), h, w, c, map_y, map_x);
      map_y = AxisMap(h);
      map_x = AxisMap(w);
    };
    for (const check::AugmentSpec& s : specs) {
      const bool moves = s.kind == Kind::Flip || s.kind == Kind::Crop || s.kind == Kind::Translate;
      if (!moves) flush();
      switch (s.kind) {
        case Kind::Flip: {
          const bool fh = s.horizontal && r.uniform() < 0.5f, fv = s.vertical && r.uniform() < 0.5f;
          if (fv) map_y.then(-1, h - 1, h);
          if (fh) map_x.then(-1, w - 1, w);
          break;
        }
        case Kind::Crop: {
          // The window's top-left corner in the padded image, (0..2P, 0..2P):
          // a shift by (P - top, P - left).
          const int top = r.between(0, 2 * s.padding), left = r.between(0, 2 * s.padding);
          map_y.then(1, top - s.padding, h);
          map_x.then(1, left - s.padding, w);
          break;
        }
        case Kind::Translate: {
          const int my = static_cast<int>(std::floor(s.amount * h)), mx = static_cast<int>(std::floor(s.amount * w));
          const int dy = r.between(-my, my), dx = r.between(-mx, mx);
          map_y.then(1, -dy, h);
          map_x.then(1, -dx, w);
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
    flush();
  }
}

void add_noise(const std::vector<check::AugmentSpec>& specs, const AugmentDraw& draw, const std::uint32_t* indices,
               std::size_t count, std::size_t sample, float* values) {
  static const std::uint64_t noise_stream = rng::stream_of("augment-noise");
  for (const check::AugmentSpec& s : specs) {
    if (s.kind != Kind::Noise) continue;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t stream = noise_stream + indices[i];
      // Box-Muller on the four words of Philox block k / 4: values k .. k + 3.
      float* v = values + i * sample;
      for (std::size_t k = 0; k < sample; k += 4) {
        const rng::Block b = rng::draw(draw.seed, stream, draw.epoch, static_cast<std::uint32_t>(k / 4));
        for (int pair = 0; pair < 2; ++pair) {
          const float u1 = std::max(rng::to_unit_float(b[2 * pair]), 1e-7f), u2 = rng::to_unit_float(b[2 * pair + 1]);
          const float radius = std::sqrt(-2.0f * std::log(u1)) * static_cast<float>(s.amount);
          const std::size_t at = k + 2 * std::size_t(pair);
          if (at < sample) v[at] += radius * std::cos(6.2831853f * u2);
          if (at + 1 < sample) v[at + 1] += radius * std::sin(6.2831853f * u2);
        }
      }
    }
  }
}

}  // namespace tl::data
