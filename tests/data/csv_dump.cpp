// csv_dump FILE.csv [LABEL [DELIMITER]]: reads a CSV table as csv("...")
// does and prints what tl got, for tests/data/csv_test.py to compare with
// Python's csv module:
//   features F labelled 0|1 classes NAME,NAME,...
//   then one line per row: its label, then its features (%.9g)
#include <cstdio>
#include <string>

#include "runtime/data/csv_table.hpp"
#include "runtime/data/data_error.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: csv_dump FILE.csv [LABEL [DELIMITER]]\n");
    return 2;
  }
  try {
    const std::string delimiter = argc == 4 ? argv[3] : ",";
    const tl::data::ImagesAndLabels d =
        tl::data::read_csv_table(argv[1], argc >= 3 ? argv[2] : "", delimiter == "tab" ? '\t' : delimiter[0]);
    std::string classes;
    for (const auto& c : d.class_names) classes += (classes.empty() ? "" : "|") + c;
    std::printf("features %d labelled %d classes %s\n", d.channels, d.labelled, classes.c_str());
    for (std::size_t i = 0; i < d.labels.size(); ++i) {
      std::printf("%d", d.labels[i]);
      for (int k = 0; k < d.channels; ++k) std::printf(" %.9g", double(d.floats[i * std::size_t(d.channels) + std::size_t(k)]));
      std::printf("\n");
    }
    return 0;
  } catch (const tl::data::DataError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
