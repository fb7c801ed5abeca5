// Failing together (see failure.hpp).
#include "runtime/dist/failure.hpp"

#include <string>
#include <vector>

namespace tl::dist {

ProcessFailed::ProcessFailed(int rank, const std::string& message)
    : std::runtime_error("process " + std::to_string(rank) + ": " + message), rank_(rank) {}

namespace {

thread_local AgreedFailure agreed;

std::string text_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return what.empty() ? "failed" : what;
  } catch (...) {
    return "failed with an unknown exception";
  }
}

}  // namespace

AgreedFailure agreed_failure() { return agreed; }

void fail_everywhere(const Communicator& comm) { agreed = {comm.size() > 1, comm.rank() == 0, 0}; }

void agree_on_failure(const Communicator& comm, std::exception_ptr local) {
  agreed = {};
  if (comm.size() == 1) {
    if (local) std::rethrow_exception(local);
    return;
  }
  const std::string mine = local ? text_of(local) : std::string();
  std::vector<std::size_t> lengths;
  const std::vector<char> all = comm.allgather(mine.data(), mine.size(), lengths);
  for (std::size_t r = 0, at = 0; r < lengths.size(); at += lengths[r], ++r) {
    if (lengths[r] == 0) continue;
    agreed = {true, local != nullptr, static_cast<int>(r)};
    if (local) std::rethrow_exception(local);
    throw ProcessFailed(static_cast<int>(r), std::string(all.data() + at, lengths[r]));
  }
  if (local) std::rethrow_exception(local);  // (cannot happen: its own text is never empty)
}

}  // namespace tl::dist
