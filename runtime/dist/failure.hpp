// Failing together: an error on one process of a data-parallel run must end
// every process's call, not leave the others waiting in the next collective.
// Each process catches what its own part threw, the processes compare notes
// in one collective, and if any failed, all throw.
#pragma once

#include <exception>
#include <stdexcept>

#include "runtime/dist/communicator.hpp"

namespace tl::dist {

/// What the processes that did not fail throw: process `rank` failed with
/// `what()` (its own error's text, prefixed with "process N: ").
class ProcessFailed : public std::runtime_error {
 public:
  ProcessFailed(int rank, const std::string& message);
  int rank() const { return rank_; }

 private:
  int rank_;
};

/// Every process calls it with what its own part threw (null: nothing).
/// Returns when no process failed; otherwise a failed process rethrows its
/// own error, and the others throw ProcessFailed for the lowest failed rank.
/// One allgather.
void agree_on_failure(const Communicator& comm, std::exception_ptr local);

/// What the last agree_on_failure on this thread found: `agreed` when it
/// threw (every process of the job knows of the failure and is ending its
/// call, none waits in a collective, so the job need not be aborted); `here`
/// when this process's own error was rethrown; `rank` the failed process
/// reported elsewhere.
struct AgreedFailure {
  bool agreed = false;
  bool here = false;
  int rank = -1;
};
AgreedFailure agreed_failure();

/// Before throwing an error that every process raises alike at the same
/// point (a loss that became NaN: every process holds the same weights and
/// sums): recorded as agreed, rank 0's to report.
void fail_everywhere(const Communicator& comm);

}  // namespace tl::dist
