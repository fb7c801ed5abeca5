// The per-pass profile report (see jit_profile.hpp).
#include "runtime/exec/jit_profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace tl::exec {

std::string PassProfile::report() const {
  if (runs == 0) return "";
  std::vector<std::size_t> order(cycles.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cycles[a] > cycles[b]; });
  const double total = static_cast<double>(std::accumulate(cycles.begin(), cycles.end(), std::uint64_t{0}));
  std::string out = fmt::format("{:>10.1f} kcycles per run ({} runs)\n", total / static_cast<double>(runs) / 1e3, runs);
  for (std::size_t i : order)
    out += fmt::format("{:>10.1f} kcycles {:5.1f}%  pass {} {}\n", static_cast<double>(cycles[i]) / static_cast<double>(runs) / 1e3,
                       100.0 * static_cast<double>(cycles[i]) / std::max(total, 1.0), i, labels[i]);
  return out;
}

}  // namespace tl::exec
