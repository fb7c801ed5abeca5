// Runs an imported ONNX model on a batch and compares its outputs with the
// exporter's (tests/onnx/make_models.py writes all three files): the reference
// interpreter and the JIT, each against PyTorch.
//
//   onnx_predict MODEL.onnx INPUT.bin EXPECTED.bin TOLERANCE
// Prints the largest absolute difference per backend; exits 1 above TOLERANCE.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "compiler/lower/step_graph.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"
#include "runtime/onnx/onnx_import.hpp"

namespace {

std::vector<float> floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> v(bytes.size() / sizeof(float));
  std::copy(bytes.data(), bytes.data() + v.size() * sizeof(float), reinterpret_cast<char*>(v.data()));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tl;
  if (argc != 5) {
    std::fprintf(stderr, "usage: onnx_predict MODEL.onnx INPUT.bin EXPECTED.bin TOLERANCE\n");
    return 2;
  }
  io::LoadedModel m;
  try {
    m = onnx_import::import_onnx(argv[1]);
  } catch (const data::DataError& e) {
    std::fprintf(stderr, "%s\n", e.format().c_str());
    return 1;
  }
  m.spec.name = "net";
  const std::vector<float> input = floats(argv[2]), expected = floats(argv[3]);
  const double tolerance = std::stod(argv[4]);
  const ir::Shape& sample = m.spec.layers.front().shape;
  std::int64_t per = 1;
  for (const std::int64_t d : sample) per *= d;
  const auto batch = static_cast<std::int64_t>(input.size()) / per;
  // NCHW -> NHWC (a flat input needs nothing).
  ir::Shape shape{batch};
  shape.insert(shape.end(), sample.begin(), sample.end());
  Tensor x(std::vector<std::size_t>(shape.begin(), shape.end()));
  if (sample.size() == 3) {
    const std::int64_t H = sample[0], W = sample[1], C = sample[2];
    for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t h = 0; h < H; ++h)
          for (std::int64_t w = 0; w < W; ++w)
            x.data()[((b * H + h) * W + w) * C + c] = input[static_cast<std::size_t>(((b * C + c) * H + h) * W + w)];
  } else {
    std::copy(input.begin(), input.end(), x.data());
  }
  const lower::StepGraph predict = lower::build_step(m.spec, batch, lower::StepKind::Predict, nullptr);
  Tensor labels(std::vector<std::size_t>{static_cast<std::size_t>(batch)});
  exec::ReferenceExecutor reference;
  exec::JitExecutor jit(2, 0);
  int status = 0;
  for (const char* backend : {"reference", "jit"}) {
    exec::Variables vars = m.vars;
    const auto out = std::string(backend) == "jit" ? jit.run(predict.graph, vars, {&x, &labels}, {})
                                                   : reference.run(predict.graph, vars, {&x, &labels}, {});
    const Tensor& scores = out.at("scores");
    if (scores.size() != expected.size()) {
      std::fprintf(stderr, "%s: %zu outputs, PyTorch gave %zu\n", backend, scores.size(), expected.size());
      return 1;
    }
    double worst = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::fabs(double(scores.data()[i]) - expected[i]));
    std::printf("%s: %s, %zu outputs, largest difference from PyTorch %.3g\n", argv[1], backend, expected.size(), worst);
    if (!(worst <= tolerance)) status = 1;
  }
  return status;
}
