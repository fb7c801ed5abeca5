// Golden error tests: every tests/golden/errors/NAME.tl must fail to check
// with exactly the diagnostics in NAME.expected (one behaviour per file).
// This test only compares. After a deliberate change, rewrite the expected
// files with scripts/update-goldens.sh (a separate program that never
// reports a pass), then review the diff.
#include <doctest/doctest.h>

#include "tests/unit/fixtures.hpp"

TEST_CASE("golden error scripts produce their expected diagnostics") {
  const std::vector<tl::test::Golden> goldens = tl::test::golden_error_scripts();
  for (const tl::test::Golden& g : goldens) {
    const std::string actual = tl::test::check_text(g.name, tl::test::read_file(g.script_path));
    CAPTURE(g.name);
    CHECK_MESSAGE(!actual.empty(), "the script was expected to fail the check");
    CHECK_MESSAGE(!tl::test::read_file(g.expected_path).empty(), "no expected file: run scripts/update-goldens.sh");
    CHECK(actual == tl::test::read_file(g.expected_path));
  }
  CHECK(goldens.size() >= 15);
}
