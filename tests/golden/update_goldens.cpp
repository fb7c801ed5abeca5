// Rewrites tests/golden/errors/*.expected from what the checker says now.
// Not a test: it never reports a pass. It lists what it changed, refuses a
// script that no longer fails (its expected file would hold nothing), and
// leaves the review to `git diff tests/golden`. Run it with
// scripts/update-goldens.sh.
#include <cstdio>
#include <fstream>

#include "tests/unit/fixtures.hpp"

int main() {
  int changed = 0, refused = 0;
  const std::vector<tl::test::Golden> goldens = tl::test::golden_error_scripts();
  for (const tl::test::Golden& g : goldens) {
    const std::string actual = tl::test::check_text(g.name, tl::test::read_file(g.script_path));
    if (actual.empty()) {
      std::fprintf(stderr, "%s: the script now checks without an error; fix it or delete it (not written)\n",
                   g.script_path.c_str());
      ++refused;
      continue;
    }
    if (actual == tl::test::read_file(g.expected_path)) continue;
    std::ofstream(g.expected_path, std::ios::binary) << actual;
    std::printf("rewrote %s\n", g.expected_path.c_str());
    ++changed;
  }
  std::printf("%d of %zu expected files rewritten; review them with: git diff tests/golden\n", changed, goldens.size());
  return refused > 0 ? 1 : 0;
}
