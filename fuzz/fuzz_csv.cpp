// libFuzzer target: arbitrary bytes as a CSV table, read as csv() reads it
// (through a scratch file): with a label column "y", without labels, and
// with ';' as the delimiter. libcsv parses; tl counts lines, checks field
// counts, numbers and labels. DataError is the expected outcome for bad
// input; anything else is a finding.
#include <cstddef>
#include <cstdint>

#include "fuzz/scratch_dir.hpp"
#include "runtime/data/csv_table.hpp"
#include "runtime/data/data_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tl::fuzz::ScratchDir dir("csv");
  const std::string path = dir.write("table.csv", data, size);
  for (const auto& [label, delimiter] : {std::pair<const char*, char>{"y", ','}, {"", ','}, {"y", ';'}}) {
    try {
      tl::data::read_csv_table(path, label, delimiter);
    } catch (const tl::data::DataError&) {
    }
  }
  return 0;
}
