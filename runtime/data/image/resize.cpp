// PIL-exact bilinear resizing and colour conversion; see resize.hpp. The
// coefficient and pass code follows Pillow's libImaging/Resample.c (9.x).
#include "runtime/data/image/resize.hpp"

#include "runtime/data/image/decode.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace tl::data::image {

namespace {

constexpr int precision_bits = 32 - 8 - 2;  // Pillow's PRECISION_BITS for 8-bit images

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

/// For each output position along one axis: the first input index, how many
/// inputs it reads, and their fixed-point weights (ksize per output).
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<std::int32_t> weights;
};

Coefficients coefficients(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;  // the triangle's support is 1
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(std::size_t(out_size));
  c.count.resize(std::size_t(out_size));
  c.weights.assign(std::size_t(out_size) * std::size_t(c.ksize), 0);
  std::vector<double> k(std::size_t(c.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filter_scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[std::size_t(x)] = triangle((x + xmin - center + 0.5) * ss);
      ww += k[std::size_t(x)];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = ww != 0.0 ? k[std::size_t(x)] / ww : k[std::size_t(x)];
      c.weights[std::size_t(xx) * std::size_t(c.ksize) + std::size_t(x)] =
          static_cast<std::int32_t>(w < 0 ? -0.5 + w * (1 << precision_bits) : 0.5 + w * (1 << precision_bits));
    }
    c.first[std::size_t(xx)] = xmin;
    c.count[std::size_t(xx)] = xmax;
  }
  return c;
}

std::uint8_t clip8(std::int64_t v) {
  const std::int64_t shifted = v >> precision_bits;
  return static_cast<std::uint8_t>(std::clamp<std::int64_t>(shifted, 0, 255));
}

/// One pass along the width (`horizontal`) or the height.
Image resample(const Image& in, int out_size, bool horizontal) {
  const Coefficients c = coefficients(horizontal ? in.width : in.height, out_size);
  Image out;
  out.channels = in.channels;
  out.height = horizontal ? in.height : out_size;
  out.width = horizontal ? out_size : in.width;
  out.pixels.resize(std::size_t(out.height) * std::size_t(out.width) * std::size_t(out.channels));
  const std::size_t ch = std::size_t(in.channels);
  const std::size_t in_row = std::size_t(in.width) * ch, out_row = std::size_t(out.width) * ch;
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const int o = horizontal ? x : y;
      const std::int32_t* k = c.weights.data() + std::size_t(o) * std::size_t(c.ksize);
      for (std::size_t b = 0; b < ch; ++b) {
        std::int64_t ss = std::int64_t{1} << (precision_bits - 1);
        for (int i = 0; i < c.count[std::size_t(o)]; ++i) {
          const int src = c.first[std::size_t(o)] + i;
          const std::uint8_t v = horizontal ? in.pixels[std::size_t(y) * in_row + std::size_t(src) * ch + b]
                                            : in.pixels[std::size_t(src) * in_row + std::size_t(x) * ch + b];
          ss += std::int64_t{v} * k[i];
        }
        out.pixels[std::size_t(y) * out_row + std::size_t(x) * ch + b] = clip8(ss);
      }
    }
  return out;
}

}  // namespace

Image resize_bilinear(Image in, int height, int width) {
  // Pillow passes horizontally first, and skips a pass whose size is unchanged.
  if (in.width != width) in = resample(in, width, true);
  if (in.height != height) in = resample(in, height, false);
  return in;
}

Image read_image(const std::string& path, int height, int width, int channels) {
  return resize_bilinear(convert_channels(decode(path), channels), height, width);
}

Image convert_channels(Image in, int channels) {
  if (in.channels == channels) return in;
  Image out;
  out.height = in.height;
  out.width = in.width;
  out.channels = channels;
  const std::size_t pixels = std::size_t(in.height) * std::size_t(in.width);
  out.pixels.resize(pixels * std::size_t(channels));
  if (channels == 1) {
    for (std::size_t p = 0; p < pixels; ++p) {
      const std::uint8_t* rgb = &in.pixels[p * 3];
      out.pixels[p] = static_cast<std::uint8_t>((rgb[0] * 19595u + rgb[1] * 38470u + rgb[2] * 7471u + 0x8000u) >> 16);
    }
  } else {
    for (std::size_t p = 0; p < pixels; ++p)
      out.pixels[p * 3] = out.pixels[p * 3 + 1] = out.pixels[p * 3 + 2] = in.pixels[p];
  }
  return out;
}

}  // namespace tl::data::image
