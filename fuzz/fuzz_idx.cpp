// libFuzzer target: arbitrary bytes as an IDX file, read as they are (so
// inputs starting 1f 8b exercise the gzip path) and gzip-compressed (so the
// IDX checks behind gzip see arbitrary content too), each with any number of
// dimensions and with the dimension counts images and labels require.
// A DataError is the expected outcome for bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include <zlib.h>

#include "fuzz/scratch_dir.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/idx.hpp"

namespace {

void read_all_ways(const std::string& path) {
  try {
    tl::data::read_idx(path);
  } catch (const tl::data::DataError&) {
  }
  try {
    tl::data::read_idx(path, {3, 4});
  } catch (const tl::data::DataError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tl::fuzz::ScratchDir dir("idx");
  read_all_ways(dir.write("input", data, size));

  const std::string gz = dir.file("input.gz");
  gzFile f = gzopen(gz.c_str(), "wb1");
  if (!f) return 0;
  if (size > 0) gzwrite(f, data, static_cast<unsigned>(size));
  gzclose(f);
  read_all_ways(gz);
  return 0;
}
