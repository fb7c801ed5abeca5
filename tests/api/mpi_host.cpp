// A host application that trains data-parallel over MPI through
// <tl/mpi.hpp> (TrainOptions::processes = tl::MpiProcesses): run by
// tests/cli/mpi_test.sh under mpirun -np 2, and alone for comparison. Every
// rank trains the same model on the same images and writes its class scores
// to OUT.<rank> (float32).
//   mpi_host OUT
#include <tl/mpi.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: mpi_host OUT\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const tl::MpiProcesses world(MPI_COMM_WORLD);
  // Images whose label is the bright row, as tests/api's toy.
  const std::size_t n = 96;
  std::vector<std::uint8_t> bytes;
  std::vector<std::int32_t> labels;
  for (std::size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 4);
    labels.push_back(label);
    for (int p = 0; p < 64; ++p) bytes.push_back(p / 8 == label ? 220 : static_cast<std::uint8_t>((p * 7 + i * 3) % 40));
  }
  const tl::Images images{bytes.data(), nullptr, n, 8, 8, 1, 1.0f / 255};
  try {
    auto exp = tl::Experiment::compile_source("host.tl", R"(
seed 3
model small(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3, activation = relu)
  flatten()
  dense(8, relu)
  dropout(0.2)
  dense(classes, softmax)
}
net = small(4)
summary net
)");
    const auto scratch = std::filesystem::temp_directory_path() / ("tl-mpi-host-" + std::to_string(world.rank()));
    exp.run({scratch.string(), "jit", 1, {}});
    tl::Model model = exp.model("net");
    tl::TrainOptions options;
    options.epochs = 3;
    options.batch = 16;
    options.seed = 2;
    if (world.size() > 1) options.processes = &world;
    model.train(images, labels.data(), options);
    const std::vector<float> scores = model.predict_scores(images);
    std::ofstream(std::string(argv[1]) + "." + std::to_string(world.rank()), std::ios::binary)
        .write(reinterpret_cast<const char*>(scores.data()), static_cast<std::streamsize>(scores.size() * sizeof(float)));
    std::filesystem::remove_all(scratch);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi_host (rank %d): %s\n", world.rank(), e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return 0;
}
