// An MPI job as a Communicator (built when CMake finds MPI: TL_HAVE_MPI).
// `World` initialises MPI only when the process was started by an MPI
// launcher (mpirun, mpiexec, srun: their environment says so), so a plain
// `tlc run` never touches MPI, and finalises it on destruction.
#pragma once

#include <memory>

#include "runtime/dist/communicator.hpp"

namespace tl::dist {

/// True when built with MPI.
bool mpi_available();

/// True when this process was started by an MPI launcher (Open MPI's mpirun,
/// MPICH/Hydra's mpiexec, Slurm's srun).
bool launched_by_mpi();

class World {
 public:
  /// MPI_Init when launched by MPI (and built with it); otherwise one process.
  World(int& argc, char**& argv);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  const Communicator& comm() const { return *comm_; }

 private:
  std::unique_ptr<Communicator> comm_;
  bool mpi_ = false;
};

}  // namespace tl::dist
