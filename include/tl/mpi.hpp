// tl::MpiProcesses: an MPI communicator as the processes of a data-parallel
// training (TrainOptions::processes). Header-only: libtl itself does not
// link MPI; a host that includes this links its MPI (find_package(MPI)).
//
//   MPI_Init(&argc, &argv);
//   tl::MpiProcesses world(MPI_COMM_WORLD);
//   tl::TrainOptions options;
//   options.processes = &world;
//   model.train(images, labels, options);   // on every process, same data
#pragma once

#include <mpi.h>

#include <vector>

#include "tl/mpi_bytes.hpp"
#include "tl/tl.hpp"

namespace tl {

class MpiProcesses final : public Processes {
 public:
  explicit MpiProcesses(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const override {
    return mpi_bytes::allgather(comm_, data, bytes, lengths);
  }
  std::vector<char> exchange(const void* data, const std::vector<std::size_t>& counts,
                             std::vector<std::size_t>& received) const override {
    return mpi_bytes::exchange(comm_, data, counts, received);
  }

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace tl
