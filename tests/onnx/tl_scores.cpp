// A model file's scores on an IDX image set, through libtl (tl::Model), for
// the ONNX export round trip: writes the floats the model reads (each byte
// through the model file's pixel map), NCHW as the exported graph takes them,
// and tl's scores, both float32.
//
//   tl_scores MODEL.safetensors IMAGES LABELS INPUT_OUT.bin SCORES_OUT.bin
#include <cstdio>
#include <fstream>
#include <vector>

#include "tl/tl.hpp"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: tl_scores MODEL.safetensors IMAGES LABELS INPUT_OUT.bin SCORES_OUT.bin\n");
    return 2;
  }
  const tl::Model model = tl::Model::load(argv[1]);
  const tl::Dataset data = tl::load_idx(argv[2], argv[3]);
  const tl::PixelMap map = model.pixels().value_or(tl::PixelMap{1.0f / 255, 0.0f});
  const tl::Images images = data.images(map.scale, map.offset);
  const std::vector<float> scores = model.predict_scores(images);
  // The same floats tl computes from the bytes (a multiply, then an add), NCHW.
  const std::size_t H = data.height, W = data.width, C = data.channels;
  std::vector<float> input(data.count * H * W * C);
  for (std::size_t n = 0; n < data.count; ++n)
    for (std::size_t h = 0; h < H; ++h)
      for (std::size_t w = 0; w < W; ++w)
        for (std::size_t c = 0; c < C; ++c) {
          const float scaled = static_cast<float>(data.pixels[((n * H + h) * W + w) * C + c]) * map.scale;
          input[((n * C + c) * H + h) * W + w] = scaled + map.offset;
        }
  std::ofstream(argv[4], std::ios::binary).write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size() * 4));
  std::ofstream(argv[5], std::ios::binary).write(reinterpret_cast<const char*>(scores.data()), static_cast<std::streamsize>(scores.size() * 4));
  std::printf("%zu images, %zu scores each\n", data.count, scores.size() / data.count);
  return 0;
}
