// One-process collectives and the rank-ordered sum (see communicator.hpp).
#include "runtime/dist/communicator.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace tl::dist {

std::vector<char> Solo::allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const {
  lengths = {bytes};
  std::vector<char> out(bytes);
  if (bytes) std::memcpy(out.data(), data, bytes);
  return out;
}

void Solo::abort(int code) const { std::exit(code); }

void sum_in_rank_order(const Communicator& comm, std::vector<double>& values) {
  if (comm.size() == 1) return;
  std::vector<std::size_t> lengths;
  const std::vector<char> all = comm.allgather(values.data(), values.size() * sizeof(double), lengths);
  for (const std::size_t l : lengths)
    if (l != values.size() * sizeof(double))
      throw std::logic_error("sum_in_rank_order: the ranks gave vectors of different lengths");
  const auto* parts = reinterpret_cast<const double*>(all.data());
  for (std::size_t i = 0; i < values.size(); ++i) {
    double sum = parts[i];  // rank 0 first
    for (int r = 1; r < comm.size(); ++r) sum += parts[static_cast<std::size_t>(r) * values.size() + i];
    values[i] = sum;
  }
}

void barrier(const Communicator& comm) {
  if (comm.size() == 1) return;
  std::vector<std::size_t> lengths;
  comm.allgather(nullptr, 0, lengths);
}

Share share_of(std::size_t count, int rank, int size) {
  const auto r = static_cast<std::size_t>(rank), n = static_cast<std::size_t>(size);
  const std::size_t base = count / n, extra = count % n;
  const std::size_t first = r * base + std::min(r, extra);
  return {first, first + base + (r < extra ? 1 : 0)};
}

}  // namespace tl::dist
