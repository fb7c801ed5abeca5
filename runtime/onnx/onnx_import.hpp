// ONNX import: a network someone else trained (torch.onnx.export, tf2onnx)
// becomes a tl model like any other, with its weights. The graph's single
// image (N,C,H,W) or feature (N,F) input becomes input(H, W, C) or input(F);
// each supported node becomes one layer named after the node, in NHWC with
// weights permuted to tl's layouts (docs/onnx.md). Any operator, attribute or
// graph shape tl does not support is an error naming the node.
#pragma once

#include <string>
#include <vector>

#include "runtime/io/model_file.hpp"

namespace tl::onnx_import {

/// Reads `path`. Throws data::DataError naming the file, the node and what to
/// do. The model's name is left to the caller; its architecture is "onnx".
io::LoadedModel import_onnx(const std::string& path);

/// The same from bytes already in memory (the fuzz target's entry point);
/// `path` only names them in errors.
io::LoadedModel import_onnx_bytes(const std::string& bytes, const std::string& path);

/// The ONNX operators tl maps, sorted.
const std::vector<std::string>& supported_ops();

/// Opsets of the default domain that tl reads.
inline constexpr int min_opset = 1, max_opset = 17;

}  // namespace tl::onnx_import
