// libFuzzer target: arbitrary bytes as an image file, the way an image
// folder's files are read: the header probe of each format (what listing a
// folder reads), then the full decode (libspng, libjpeg-turbo or stb_image,
// chosen by the first bytes), then conversion to the other channel count and
// a resize (PIL's bilinear) to a small and a larger size. DataError is the
// expected outcome for bad input; a crash, a leak, undefined behaviour, a
// timeout or an allocation past -rss_limit_mb is a finding.
#include <cstddef>
#include <cstdint>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image/decode.hpp"
#include "runtime/data/image/resize.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tl::data;
  for (auto probe : {image::probe_png, image::probe_jpeg, image::probe_bmp}) {
    try {
      probe(data, size, "fuzz");
    } catch (const DataError&) {
    }
  }
  try {
    image::Image img = image::decode_bytes(data, size, "fuzz");
    image::Image other = image::convert_channels(img, img.channels == 1 ? 3 : 1);
    image::resize_bilinear(std::move(other), 7, 5);
    image::resize_bilinear(std::move(img), 33, 40);
  } catch (const DataError&) {
  }
  return 0;
}
