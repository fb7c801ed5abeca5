// Golden error tests: every tests/golden/errors/NAME.tl must fail to check
// with exactly the diagnostics in NAME.expected (one behaviour per file).
// Set TL_UPDATE_GOLDENS=1 to rewrite the .expected files after a deliberate
// change, then review the diff.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/fixtures.hpp"

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("golden error scripts produce their expected diagnostics") {
  const std::filesystem::path dir = std::filesystem::path(TL_SOURCE_DIR) / "tests/golden/errors";
  const bool update = std::getenv("TL_UPDATE_GOLDENS") != nullptr;
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".tl") continue;
    ++count;
    const std::string name = entry.path().filename().string();
    const std::string actual = tl::test::check_text(name, read(entry.path()));
    auto expected_path = entry.path();
    expected_path.replace_extension(".expected");
    if (update) std::ofstream(expected_path, std::ios::binary) << actual;
    CAPTURE(name);
    CHECK_MESSAGE(!actual.empty(), "the script was expected to fail the check");
    CHECK(actual == read(expected_path));
  }
  CHECK(count >= 15);
}
