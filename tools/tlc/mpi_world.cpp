// MPI_COMM_WORLD as a Communicator (see mpi_world.hpp). Without MPI
// (TL_HAVE_MPI unset) World is one process and launched_by_mpi() only tells
// the user that this build cannot join the job.
#include "tools/tlc/mpi_world.hpp"

#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

#ifdef TL_HAVE_MPI
#include <mpi.h>

#include "include/tl/mpi_bytes.hpp"
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

class Mpi final : public Communicator {
 public:
  Mpi() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const override {
    return mpi_bytes::allgather(MPI_COMM_WORLD, data, bytes, lengths);
  }
  std::vector<char> exchange(const void* data, const std::vector<std::size_t>& counts,
                             std::vector<std::size_t>& received) const override {
    return mpi_bytes::exchange(MPI_COMM_WORLD, data, counts, received);
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
