// The processes of a data-parallel run and what they exchange. A sum over
// ranks always adds rank 0's value first, then rank 1's, ... so every rank
// ends with the same bytes and two runs with the same number of processes
// are bit-identical (an MPI reduction may pick its order): each rank sums
// one share of the elements from every rank's values of it (exchange), then
// the shares are gathered (allgather). One
// process (Solo) is the default; tlc's dist::World (tools/tlc/mpi_world.hpp,
// built when MPI is found) spans an MPI job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace tl::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Every rank's `bytes` bytes at `data` (a length of its own), on every
  /// rank, concatenated in rank order; `lengths` gets each rank's length.
  virtual std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const = 0;
  /// Rank to rank: the bytes at `data` are consecutive blocks in rank order,
  /// `counts[s]` bytes for rank s. Returns the blocks every rank sent this
  /// one, in rank order, with their lengths in `received`. The default
  /// gathers everything and keeps this rank's blocks (exchange_by_allgather);
  /// over MPI only the blocks travel (MPI_Alltoallv).
  virtual std::vector<char> exchange(const void* data, const std::vector<std::size_t>& counts,
                                     std::vector<std::size_t>& received) const;
  /// Ends every process of the job with `code` (a failure on one rank must
  /// not leave the others waiting in a collective).
  [[noreturn]] virtual void abort(int code) const = 0;
};

/// One process: rank 0 of 1.
class Solo final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const override;
  [[noreturn]] void abort(int code) const override;
};

/// exchange() made of two allgathers (every rank's counts, then every rank's
/// whole data): right for any communicator, at `size` times the traffic.
std::vector<char> exchange_by_allgather(
    const std::function<std::vector<char>(const void*, std::size_t, std::vector<std::size_t>&)>& allgather, int rank,
    int size, const void* data, const std::vector<std::size_t>& counts, std::vector<std::size_t>& received);

/// Element-wise sum over ranks of `values` (the same length on every rank),
/// in rank order, in double; every rank gets the same result. Each rank
/// receives and sends its share of the elements from and to every other
/// rank: about twice the vector's bytes per rank for any number of ranks.
/// Vectors of up to kSmallSum elements (a batchnorm's statistics, a step's
/// counts) are gathered whole by every rank instead: one collective, not two.
inline constexpr std::size_t kSmallSum = 1024;
void sum_in_rank_order(const Communicator& comm, std::vector<double>& values);

/// Returns when every rank has called it.
void barrier(const Communicator& comm);

/// Every rank's `values`, concatenated in rank order.
template <class T>
std::vector<T> gather_all(const Communicator& comm, const std::vector<T>& values) {
  std::vector<std::size_t> lengths;
  const std::vector<char> bytes = comm.allgather(values.data(), values.size() * sizeof(T), lengths);
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::copy(bytes.data(), bytes.data() + out.size() * sizeof(T), reinterpret_cast<char*>(out.data()));
  return out;
}

/// Rank r's share [first, last) of `count` items split as evenly as possible
/// (the first `count % size` ranks take one more).
struct Share {
  std::size_t first = 0, last = 0;
  std::size_t size() const { return last - first; }
};
Share share_of(std::size_t count, int rank, int size);

}  // namespace tl::dist
