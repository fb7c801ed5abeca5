// Convolution weight layouts, ONNX's and tl's, in one place: the importer
// reads with them and the exporter writes with them, so the two directions
// cannot drift apart.
//   conv2d:     ONNX (O, I, KH, KW)     <-> tl HWIO (KH, KW, I, O)
//   depthwise:  ONNX (C*M, 1, KH, KW)   <-> tl (KH, KW, C, M); o = c*M + m in both
#pragma once

#include <cstdint>

namespace tl::onnx_layouts {

enum class Direction { OnnxToTl, TlToOnnx };

/// Copies a conv2d kernel of O outputs, I inputs and a KH x KW window from
/// `from` to `to` in the other layout.
inline void conv_kernel(const float* from, float* to, std::int64_t O, std::int64_t I, std::int64_t KH, std::int64_t KW,
                        Direction d) {
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t i = 0; i < I; ++i)
      for (std::int64_t h = 0; h < KH; ++h)
        for (std::int64_t w = 0; w < KW; ++w) {
          const std::int64_t onnx = ((o * I + i) * KH + h) * KW + w, tl = ((h * KW + w) * I + i) * O + o;
          if (d == Direction::OnnxToTl)
            to[tl] = from[onnx];
          else
            to[onnx] = from[tl];
        }
}

/// The same for a depthwise kernel of O = C*M outputs.
inline void depthwise_kernel(const float* from, float* to, std::int64_t O, std::int64_t KH, std::int64_t KW, Direction d) {
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t h = 0; h < KH; ++h)
      for (std::int64_t w = 0; w < KW; ++w) {
        const std::int64_t onnx = (o * KH + h) * KW + w, tl = (h * KW + w) * O + o;
        if (d == Direction::OnnxToTl)
          to[tl] = from[onnx];
        else
          to[onnx] = from[tl];
      }
}

}  // namespace tl::onnx_layouts
