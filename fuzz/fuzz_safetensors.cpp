// libFuzzer target: arbitrary bytes as a safetensors model file, loaded as a
// tl model: load_model reads the file with read_safetensors (header size,
// header JSON, tensor entries, data section), then rebuilds the model from its
// description and matches the tensors to its layers. The same bytes are also
// parsed as a description alone, so mutations reach model_from_description
// without having to keep the outer header valid.
// DataError (files), std::invalid_argument (descriptions) and JSON parse
// errors are the expected outcomes for bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "fuzz/scratch_dir.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/io/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tl::fuzz::ScratchDir dir("safetensors");
  try {
    tl::io::load_model(dir.write("model.safetensors", data, size));
  } catch (const tl::data::DataError&) {
  }
  try {
    tl::io::model_from_description(nlohmann::json::parse(data, data + size));
  } catch (const nlohmann::json::parse_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
