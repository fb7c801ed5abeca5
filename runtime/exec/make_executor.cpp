// Choosing a backend by name (see executor.hpp).
#include <stdexcept>

#include "runtime/exec/executor.hpp"
#include "runtime/exec/reference.hpp"

namespace tl::exec {

std::unique_ptr<Executor> make_executor(const std::string& backend, int threads) {
  (void)threads;  // the reference interpreter is single-threaded
  if (backend == "reference") return std::make_unique<ReferenceExecutor>();
  throw std::invalid_argument("the '" + backend + "' backend is not available in this build");
}

}  // namespace tl::exec
