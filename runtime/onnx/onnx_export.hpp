// ONNX export: a tl model and its weights as an ONNX file (opset 14) that
// onnx.checker accepts and ONNX Runtime runs. The graph takes "input": an
// (N, C, H, W) image for a model whose input is (H, W, C), or (N, F)
// features; it gives "output", the model's output layer, with images as
// (N, C, H, W). Each layer becomes the ONNX nodes that compute it, named
// after the layer (docs/onnx.md). Dropout is the identity, as at inference.
#pragma once

#include <optional>
#include <string>

#include "runtime/io/model_file.hpp"

namespace tl::onnx_export {

/// The ONNX file's bytes. A model file's pixel map (the floats a byte-fed
/// model was trained on: byte * scale + offset) is kept as the metadata entry
/// "tl.pixels"; the graph itself takes those floats.
std::string export_onnx_bytes(const check::ModelSpec& model, const exec::Variables& vars,
                              const std::optional<data::PixelMap>& pixels = std::nullopt);

/// Writes the file; throws data::DataError naming `path` if it cannot.
void export_onnx(const std::string& path, const check::ModelSpec& model, const exec::Variables& vars,
                 const std::optional<data::PixelMap>& pixels = std::nullopt);

/// The opset the files use.
inline constexpr int export_opset = 14;

}  // namespace tl::onnx_export
