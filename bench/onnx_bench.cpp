// onnx_bench: an imported ONNX network's speed on tl's JIT. Imports the file,
// compiles its predict step and a full training step (every layer trainable,
// Adam, cross-entropy on the logits, as bench/onnx_nets.py trains the same
// network in PyTorch) for one batch size, then times both on random images.
// Prints JSON: compile seconds, the median milliseconds of a predict batch
// and of a train step over --runs runs (after one warm-up), and the FLOPs of
// each step as tl counts them.
//
//   onnx_bench MODEL.onnx [--batch 32] [--runs 5] [--threads N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "compiler/codegen/compile.hpp"
#include "compiler/ir/cost.hpp"
#include "compiler/ir/philox.hpp"
#include "compiler/lower/step_graph.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/onnx/onnx_import.hpp"
#include "runtime/train/model_state.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tl;
  if (argc < 2) {
    std::fprintf(stderr, "usage: onnx_bench MODEL.onnx [--batch N] [--runs N] [--threads N]\n");
    return 2;
  }
  std::int64_t batch = 32;
  int runs = 5, threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
  }
  io::LoadedModel m;
  try {
    m = onnx_import::import_onnx(argv[1]);
  } catch (const data::DataError& e) {
    std::fprintf(stderr, "%s\n", e.format().c_str());
    return 1;
  }
  m.spec.name = "net";
  check::TrainConfig config;
  config.batch = batch;
  config.loss.from_logits = true;
  const auto train = lower::build_step(m.spec, batch, lower::StepKind::Train, &config);
  const auto predict = lower::build_step(m.spec, batch, lower::StepKind::Predict, &config);
  train::ModelState state = train::initialise(m.spec, 1);
  for (auto& [name, t] : m.vars.tensors) state.vars.tensors[name] = t;

  const ir::Shape& sample = m.spec.layers.front().shape;
  std::vector<std::size_t> shape{static_cast<std::size_t>(batch)};
  for (const std::int64_t d : sample) shape.push_back(static_cast<std::size_t>(d));
  Tensor images = Tensor::from_shape(shape), labels = Tensor::from_shape({static_cast<std::size_t>(batch)});
  for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = rng::uniform(3, 1, 0, i) * 2 - 1;
  for (std::size_t i = 0; i < labels.size(); ++i) labels.data()[i] = static_cast<float>(i % 10);

  exec::JitExecutor jit(threads, 0);
  auto t = Clock::now();
  codegen::compile_step(train.graph, {false});
  const double compile_train = since(t);
  t = Clock::now();
  codegen::compile_step(predict.graph, {false});
  const double compile_predict = since(t);

  auto time = [&](const ir::Graph& g) {
    std::vector<double> ms;
    for (int r = 0; r <= runs; ++r) {
      const auto start = Clock::now();
      jit.run(g, state.vars, {&images, &labels}, {1, static_cast<std::uint64_t>(r + 1)});
      if (r > 0) ms.push_back(since(start) * 1e3);  // the first run warms up (and compiles)
    }
    return median(ms);
  };
  const double predict_ms = time(predict.graph);
  const double train_ms = time(train.graph);
  std::printf("{\"model\": \"%s\", \"batch\": %lld, \"threads\": %d, \"runs\": %d,\n", argv[1], static_cast<long long>(batch),
              threads, runs);
  std::printf(" \"compile_seconds\": {\"train\": %.2f, \"predict\": %.2f},\n", compile_train, compile_predict);
  std::printf(" \"predict_ms\": %.2f, \"train_step_ms\": %.2f,\n", predict_ms, train_ms);
  std::printf(" \"predict_gflop\": %.3f, \"train_gflop\": %.3f}\n", static_cast<double>(ir::flops(predict.graph)) / 1e9,
              static_cast<double>(ir::flops(train.graph)) / 1e9);
  return 0;
}
