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

#include <limits>
#include <stdexcept>
#include <vector>

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
    const long long mine = static_cast<long long>(bytes);
    std::vector<long long> all(static_cast<std::size_t>(size_));
    if (MPI_Allgather(&mine, 1, MPI_LONG_LONG, all.data(), 1, MPI_LONG_LONG, comm_) != MPI_SUCCESS)
      throw std::runtime_error("MPI_Allgather failed");
    lengths.assign(all.begin(), all.end());
    std::vector<int> counts, displs;
    long long total = 0;
    for (const long long l : all) {
      if (total + l > std::numeric_limits<int>::max()) throw std::runtime_error("tl: a collective of more than 2 GiB");
      displs.push_back(static_cast<int>(total));
      counts.push_back(static_cast<int>(l));
      total += l;
    }
    std::vector<char> out(static_cast<std::size_t>(total));
    if (MPI_Allgatherv(data, static_cast<int>(bytes), MPI_BYTE, out.data(), counts.data(), displs.data(), MPI_BYTE,
                       comm_) != MPI_SUCCESS)
      throw std::runtime_error("MPI_Allgatherv failed");
    return out;
  }

  std::vector<char> exchange(const void* data, const std::vector<std::size_t>& counts,
                             std::vector<std::size_t>& received) const override {
    if (counts.size() != static_cast<std::size_t>(size_)) throw std::logic_error("tl: exchange needs one count per rank");
    std::vector<long long> sending(counts.begin(), counts.end()), coming(counts.size());
    if (MPI_Alltoall(sending.data(), 1, MPI_LONG_LONG, coming.data(), 1, MPI_LONG_LONG, comm_) != MPI_SUCCESS)
      throw std::runtime_error("MPI_Alltoall failed");
    received.assign(coming.begin(), coming.end());
    std::vector<int> send_counts, send_at, recv_counts, recv_at;
    long long sent = 0, got = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      if (sent + sending[r] > std::numeric_limits<int>::max() || got + coming[r] > std::numeric_limits<int>::max())
        throw std::runtime_error("tl: an exchange of more than 2 GiB");
      send_at.push_back(static_cast<int>(sent));
      send_counts.push_back(static_cast<int>(sending[r]));
      recv_at.push_back(static_cast<int>(got));
      recv_counts.push_back(static_cast<int>(coming[r]));
      sent += sending[r];
      got += coming[r];
    }
    std::vector<char> out(static_cast<std::size_t>(got));
    if (MPI_Alltoallv(data, send_counts.data(), send_at.data(), MPI_BYTE, out.data(), recv_counts.data(), recv_at.data(),
                      MPI_BYTE, comm_) != MPI_SUCCESS)
      throw std::runtime_error("MPI_Alltoallv failed");
    return out;
  }

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace tl
