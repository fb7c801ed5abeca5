// libFuzzer target: arbitrary bytes as an ONNX file. The protobuf parser
// (Debian's libprotobuf, via libonnx) takes the bytes; the importer then walks
// whatever graph they describe: initializers of any type and size, nodes
// with any attributes, inputs that no node produces. DataError is the
// expected outcome for bad input; anything else (a crash, a logic_error, an
// out-of-range index) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/data/data_error.hpp"
#include "runtime/onnx/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    tl::onnx_import::import_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
  } catch (const tl::data::DataError&) {
  }
  return 0;
}
