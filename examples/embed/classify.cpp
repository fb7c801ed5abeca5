// classify: load a model trained by a .tl script (tlc run saves it as
// runs/<script>/<model>.safetensors) and classify the MNIST test images.
//   classify MODEL.safetensors MNIST_DIR
// prints the model summary, then accuracy and loss on the 10,000 images.
#include <tl/tl.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors MNIST_DIR\n", argv[0]);
    return 2;
  }
  try {
    const tl::Model model = tl::Model::load(argv[1]);
    std::printf("%s", model.summary().c_str());
    const std::string dir = argv[2];
    const tl::Dataset test = tl::load_idx(dir + "/t10k-images-idx3-ubyte", dir + "/t10k-labels-idx1-ubyte");
    // Feed the bytes as the training data was fed (the file records its
    // scale and normalize stages); 1/255 for a file that does not say.
    const tl::PixelMap pixels = model.pixels().value_or(tl::PixelMap{1.0f / 255, 0.0f});
    const std::vector<int> predicted = model.predict(test.images(pixels));
    std::size_t correct = 0;
    for (std::size_t i = 0; i < test.count; ++i) correct += predicted[i] == test.labels[i];
    const tl::Metrics m = model.evaluate(test.images(pixels), test.labels.data());
    std::printf("accuracy %.4f (%zu of %zu correct), loss %.4f\n", static_cast<double>(correct) / test.count, correct,
                test.count, m.loss);
    return 0;
  } catch (const tl::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
