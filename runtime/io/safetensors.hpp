// Reading and writing the safetensors format (github.com/huggingface/safetensors):
//   8 bytes   N, the header size, unsigned little-endian
//   N bytes   a JSON object: {"name": {"dtype": "F32", "shape": [..],
//             "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
//   the rest  the tensors' bytes, little-endian, at their offsets
// tl writes F32 tensors named "<layer>/<param>" and keeps the model's
// description in the metadata. Writes are atomic (a temporary file renamed
// into place), so a killed process never leaves a half-written file.
#pragma once

#include <map>
#include <string>

#include "runtime/tensor.hpp"

namespace tl::io {

struct TensorFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// Throws data::DataError naming the file if it cannot be written.
void write_safetensors(const std::string& path, const TensorFile& file);

/// Throws data::DataError naming the file, the byte offset and the problem
/// for anything malformed: short file, a header size past the end, invalid
/// JSON, an unsupported dtype, offsets that overlap, leave gaps or run past
/// the data, a shape that disagrees with the byte count.
TensorFile read_safetensors(const std::string& path);

}  // namespace tl::io
