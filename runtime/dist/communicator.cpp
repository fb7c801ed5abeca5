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

std::vector<char> Communicator::exchange(const void* data, const std::vector<std::size_t>& counts,
                                         std::vector<std::size_t>& received) const {
  return exchange_by_allgather(
      [this](const void* d, std::size_t bytes, std::vector<std::size_t>& lengths) { return allgather(d, bytes, lengths); },
      rank(), size(), data, counts, received);
}

std::vector<char> exchange_by_allgather(
    const std::function<std::vector<char>(const void*, std::size_t, std::vector<std::size_t>&)>& allgather, int rank,
    int size, const void* data, const std::vector<std::size_t>& counts, std::vector<std::size_t>& received) {
  const auto n = static_cast<std::size_t>(size);
  if (counts.size() != n) throw std::logic_error("exchange: one count per rank");
  std::vector<std::size_t> lengths;
  const std::vector<char> all_counts = allgather(counts.data(), n * sizeof(std::size_t), lengths);
  std::size_t total = 0;
  for (const std::size_t c : counts) total += c;
  const std::vector<char> all = allgather(data, total, lengths);
  if (all_counts.size() != n * n * sizeof(std::size_t) || lengths.size() != n)
    throw std::logic_error("exchange: the ranks disagree on their number");
  std::vector<std::size_t> table(n * n);  // table[s * n + r]: bytes rank s sends rank r
  std::memcpy(table.data(), all_counts.data(), all_counts.size());
  std::vector<char> out;
  received.assign(n, 0);
  std::size_t from = 0;  // where rank s's data starts in `all`
  for (std::size_t s = 0; s < n; ++s) {
    std::size_t at = from;
    for (std::size_t r = 0; r < static_cast<std::size_t>(rank); ++r) at += table[s * n + r];
    const std::size_t bytes = table[s * n + static_cast<std::size_t>(rank)];
    out.insert(out.end(), all.begin() + static_cast<std::ptrdiff_t>(at), all.begin() + static_cast<std::ptrdiff_t>(at + bytes));
    received[s] = bytes;
    from += lengths[s];
  }
  return out;
}

namespace {

/// `bytes` holds `ranks` consecutive blocks of `count` doubles; their sum
/// element by element, rank 0's value first, then rank 1's, ...
std::vector<double> add_blocks_in_rank_order(const std::vector<char>& bytes, int ranks, std::size_t count) {
  std::vector<double> sums(count), part(count);
  for (int r = 0; r < ranks; ++r) {
    if (count) std::memcpy(part.data(), bytes.data() + static_cast<std::size_t>(r) * count * sizeof(double), count * sizeof(double));
    for (std::size_t i = 0; i < count; ++i) sums[i] = r == 0 ? part[i] : sums[i] + part[i];
  }
  return sums;
}

}  // namespace

void sum_in_rank_order(const Communicator& comm, std::vector<double>& values) {
  const int n = comm.size();
  if (n == 1) return;
  if (values.size() <= kSmallSum) {
    // One allgather, then every rank adds all of them in rank order itself:
    // the same bits as the shares' path, in one collective instead of two.
    std::vector<std::size_t> lengths;
    const std::vector<char> all = comm.allgather(values.data(), values.size() * sizeof(double), lengths);
    if (all.size() != values.size() * sizeof(double) * static_cast<std::size_t>(n))
      throw std::logic_error("sum_in_rank_order: the ranks gave vectors of different lengths");
    values = add_blocks_in_rank_order(all, n, values.size());
    return;
  }
  // 1. This rank's share of the elements, from every rank.
  std::vector<std::size_t> counts(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) counts[static_cast<std::size_t>(r)] = share_of(values.size(), r, n).size() * sizeof(double);
  const Share mine = share_of(values.size(), comm.rank(), n);
  std::vector<std::size_t> received;
  const std::vector<char> parts = comm.exchange(values.data(), counts, received);
  for (const std::size_t l : received)
    if (l != mine.size() * sizeof(double))
      throw std::logic_error("sum_in_rank_order: the ranks gave vectors of different lengths");
  // 2. Its sums, rank 0's value first.
  const std::vector<double> sums = add_blocks_in_rank_order(parts, n, mine.size());
  // 3. Every rank's sums, in rank order: the whole vector.
  std::vector<std::size_t> lengths;
  const std::vector<char> all = comm.allgather(sums.data(), sums.size() * sizeof(double), lengths);
  if (all.size() != values.size() * sizeof(double))
    throw std::logic_error("sum_in_rank_order: the ranks gave vectors of different lengths");
  if (!all.empty()) std::memcpy(values.data(), all.data(), all.size());
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
