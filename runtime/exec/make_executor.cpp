// Choosing a backend by name (see executor.hpp).
#include <stdexcept>

#include "runtime/exec/executor.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"

namespace tl::exec {

std::unique_ptr<Executor> make_executor(const std::string& backend, int threads) {
  if (backend == "reference") return std::make_unique<ReferenceExecutor>();  // single-threaded
  if (backend == "jit") return std::make_unique<JitExecutor>(threads);
  throw std::invalid_argument("the '" + backend + "' backend is not available in this build");
}

}  // namespace tl::exec
