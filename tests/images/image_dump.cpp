// image_dump FILE [CHANNELS [HEIGHT WIDTH]]: decodes an image file as tl
// does, optionally converts it to CHANNELS (1 or 3) and resizes it to
// HEIGHT x WIDTH, and writes "H W C\n" and the raw HWC bytes to stdout. With
// --probe, prints the header's "FORMAT H W C" instead. tests/images/
// pil_test.py compares the bytes with python3-pil's.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image/decode.hpp"
#include "runtime/data/image/resize.hpp"

int main(int argc, char** argv) {
  using namespace tl::data;
  if (argc >= 3 && std::string(argv[1]) == "--probe") {
    try {
      const image::Header h = image::probe(argv[2]);
      std::printf("%s %d %d %d\n", image::format_name(h.format), h.height, h.width, h.channels);
      return 0;
    } catch (const DataError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
  }
  if (argc != 2 && argc != 3 && argc != 5) {
    std::fprintf(stderr, "usage: image_dump FILE [CHANNELS [HEIGHT WIDTH]] | --probe FILE\n");
    return 2;
  }
  try {
    image::Image img = image::decode(argv[1]);
    if (argc >= 3) img = image::convert_channels(std::move(img), std::atoi(argv[2]));
    if (argc == 5) img = image::resize_bilinear(std::move(img), std::atoi(argv[3]), std::atoi(argv[4]));
    std::printf("%d %d %d\n", img.height, img.width, img.channels);
    std::fwrite(img.pixels.data(), 1, img.pixels.size(), stdout);
    return 0;
  } catch (const DataError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
