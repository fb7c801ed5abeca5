// MPI_COMM_WORLD as a Communicator (see mpi_communicator.hpp). Without MPI
// (TL_HAVE_MPI unset) World is one process and launched_by_mpi() only tells
// the user that this build cannot join the job.
#include "runtime/dist/mpi_communicator.hpp"

#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

#ifdef TL_HAVE_MPI
#include <mpi.h>
#endif

namespace tl::dist {

bool mpi_available() {
#ifdef TL_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}

#ifdef TL_HAVE_MPI
namespace {

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw std::runtime_error(std::string(what) + ": " + std::string(text, static_cast<std::size_t>(length)));
  }
}

class Mpi final : public Communicator {
 public:
  Mpi() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const override {
    // Each rank's length, then the bytes (MPI counts are ints: 2 GiB a rank).
    const auto mine = static_cast<long long>(bytes);
    std::vector<long long> all(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&mine, 1, MPI_LONG_LONG, all.data(), 1, MPI_LONG_LONG, MPI_COMM_WORLD), "MPI_Allgather");
    lengths.assign(all.begin(), all.end());
    std::vector<int> counts, displs;
    long long total = 0;
    for (const long long l : all) {
      if (l > std::numeric_limits<int>::max() || total + l > std::numeric_limits<int>::max())
        throw std::runtime_error("a collective of more than 2 GiB; tl exchanges at most 2 GiB at a time");
      displs.push_back(static_cast<int>(total));
      counts.push_back(static_cast<int>(l));
      total += l;
    }
    std::vector<char> out(static_cast<std::size_t>(total));
    check(MPI_Allgatherv(data, static_cast<int>(bytes), MPI_BYTE, out.data(), counts.data(), displs.data(), MPI_BYTE,
                         MPI_COMM_WORLD),
          "MPI_Allgatherv");
    return out;
  }

  std::vector<char> exchange(const void* data, const std::vector<std::size_t>& counts,
                             std::vector<std::size_t>& received) const override {
    // Every rank's count for this one, then only the blocks (MPI counts and
    // displacements are ints: 2 GiB sent and received a rank).
    if (counts.size() != static_cast<std::size_t>(size_)) throw std::logic_error("exchange: one count per rank");
    std::vector<long long> sending(counts.begin(), counts.end()), coming(counts.size());
    check(MPI_Alltoall(sending.data(), 1, MPI_LONG_LONG, coming.data(), 1, MPI_LONG_LONG, MPI_COMM_WORLD), "MPI_Alltoall");
    received.assign(coming.begin(), coming.end());
    std::vector<int> send_counts, send_at, recv_counts, recv_at;
    long long sent = 0, got = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      if (sent + sending[r] > std::numeric_limits<int>::max() || got + coming[r] > std::numeric_limits<int>::max())
        throw std::runtime_error("an exchange of more than 2 GiB; tl exchanges at most 2 GiB at a time");
      send_at.push_back(static_cast<int>(sent));
      send_counts.push_back(static_cast<int>(sending[r]));
      recv_at.push_back(static_cast<int>(got));
      recv_counts.push_back(static_cast<int>(coming[r]));
      sent += sending[r];
      got += coming[r];
    }
    std::vector<char> out(static_cast<std::size_t>(got));
    check(MPI_Alltoallv(data, send_counts.data(), send_at.data(), MPI_BYTE, out.data(), recv_counts.data(), recv_at.data(),
                        MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Alltoallv");
    return out;
  }

  [[noreturn]] void abort(int code) const override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace
#endif

World::World(int& argc, char**& argv) {
#ifdef TL_HAVE_MPI
  if (launched_by_mpi()) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    mpi_ = true;
    comm_ = std::make_unique<Mpi>();
    return;
  }
#else
  (void)argc;
  (void)argv;
#endif
  comm_ = std::make_unique<Solo>();
}

World::~World() {
#ifdef TL_HAVE_MPI
  if (mpi_) MPI_Finalize();
#endif
}

}  // namespace tl::dist
