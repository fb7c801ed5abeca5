// Byte collectives over an MPI communicator, shared by tl::MpiProcesses
// (tl/mpi.hpp) and tlc's own communicator: every rank's bytes gathered in
// rank order, and blocks sent rank to rank. Header-only; needs <mpi.h>.
// MPI counts are ints: at most 2 GiB sent and received by a rank per call.
// Failures throw std::runtime_error with MPI's message.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace tl::mpi_bytes {

inline void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string(what) + ": " + std::string(text, static_cast<std::size_t>(length)));
}

/// Offsets of consecutive blocks of `sizes` bytes, as MPI's int counts.
inline void blocks(const std::vector<long long>& sizes, std::vector<int>& counts, std::vector<int>& offsets) {
  long long total = 0;
  for (const long long s : sizes) {
    if (total + s > std::numeric_limits<int>::max())
      throw std::runtime_error("tl: a collective of more than 2 GiB; tl exchanges at most 2 GiB at a time");
    offsets.push_back(static_cast<int>(total));
    counts.push_back(static_cast<int>(s));
    total += s;
  }
}

/// Every rank's `bytes` bytes at `data`, concatenated in rank order;
/// lengths[r] = rank r's length.
inline std::vector<char> allgather(MPI_Comm comm, const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  const long long mine = static_cast<long long>(bytes);
  std::vector<long long> all(static_cast<std::size_t>(size));
  check(MPI_Allgather(&mine, 1, MPI_LONG_LONG, all.data(), 1, MPI_LONG_LONG, comm), "MPI_Allgather");
  lengths.assign(all.begin(), all.end());
  std::vector<int> counts, offsets;
  blocks(all, counts, offsets);
  std::vector<char> out(static_cast<std::size_t>(offsets.back()) + static_cast<std::size_t>(counts.back()));
  check(MPI_Allgatherv(data, static_cast<int>(bytes), MPI_BYTE, out.data(), counts.data(), offsets.data(), MPI_BYTE, comm),
        "MPI_Allgatherv");
  return out;
}

/// Rank to rank: `data` holds consecutive blocks in rank order, counts[r]
/// bytes for rank r. Returns the blocks every rank sent this one, in rank
/// order, their lengths in `received`.
inline std::vector<char> exchange(MPI_Comm comm, const void* data, const std::vector<std::size_t>& counts,
                                  std::vector<std::size_t>& received) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (counts.size() != static_cast<std::size_t>(size)) throw std::logic_error("tl: exchange needs one count per rank");
  std::vector<long long> sending(counts.begin(), counts.end()), coming(counts.size());
  check(MPI_Alltoall(sending.data(), 1, MPI_LONG_LONG, coming.data(), 1, MPI_LONG_LONG, comm), "MPI_Alltoall");
  received.assign(coming.begin(), coming.end());
  std::vector<int> send_counts, send_at, recv_counts, recv_at;
  blocks(sending, send_counts, send_at);
  blocks(coming, recv_counts, recv_at);
  std::vector<char> out(static_cast<std::size_t>(recv_at.back()) + static_cast<std::size_t>(recv_counts.back()));
  check(MPI_Alltoallv(data, send_counts.data(), send_at.data(), MPI_BYTE, out.data(), recv_counts.data(), recv_at.data(),
                      MPI_BYTE, comm),
        "MPI_Alltoallv");
  return out;
}

}  // namespace tl::mpi_bytes
