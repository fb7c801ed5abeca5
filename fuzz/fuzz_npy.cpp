// libFuzzer target: arbitrary bytes as a NumPy .npy file: parse_npy (magic,
// version, the header dictionary, dtype and shape checked against the data's
// size), then, through a scratch file, read_npy_pair with the same bytes as
// samples and as labels (dtype, shape and label checks). DataError is the
// expected outcome for bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>

#include "fuzz/scratch_dir.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tl::fuzz::ScratchDir dir("npy");
  try {
    tl::data::parse_npy(data, size, "fuzz.npy");
  } catch (const tl::data::DataError&) {
  }
  const std::string path = dir.write("x.npy", data, size);
  try {
    tl::data::read_npy_pair(path, path);
  } catch (const tl::data::DataError&) {
  }
  return 0;
}
