// npy_dump SAMPLES.npy [LABELS.npy]: reads .npy files as npy("...") does and
// prints what tl got, for tests/data/npy_test.py to compare with numpy:
//   shape H W C flat F     (the sample shape)
//   labelled 0|1
//   then one line per sample: its label, then its values (%.9g)
#include <cstdio>
#include <string>

#include "runtime/data/data_error.hpp"
#include "runtime/data/npy.hpp"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: npy_dump SAMPLES.npy [LABELS.npy]\n");
    return 2;
  }
  try {
    const tl::data::ImagesAndLabels d = tl::data::read_npy_pair(argv[1], argc == 3 ? argv[2] : "");
    std::printf("shape %d %d %d flat %d float %d labelled %d\n", d.height, d.width, d.channels, d.flat, d.is_float,
                d.labelled);
    const std::size_t sample = std::size_t(d.height) * d.width * d.channels;
    for (std::size_t i = 0; i < d.labels.size(); ++i) {
      std::printf("%d", d.labels[i]);
      for (std::size_t k = 0; k < sample; ++k)
        std::printf(" %.9g", d.is_float ? double(d.floats[i * sample + k]) : double(d.pixels[i * sample + k]));
      std::printf("\n");
    }
    return 0;
  } catch (const tl::data::DataError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
