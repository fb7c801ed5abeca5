// Hostile scripts: nesting far past anything real, an enormous script, bytes
// that are not UTF-8, NUL bytes, and scripts with nothing in them. Each must
// end in a clear `file:line:col: error:` (or check cleanly): never a crash, a
// stack overflow or time that grows quadratically.
#include <doctest/doctest.h>
#include <time.h>

#include <algorithm>
#include <string>

#include "dsl/nesting.hpp"
#include "tests/unit/fixtures.hpp"

using tl::test::check_text;

namespace {

std::string repeat(const std::string& s, int n) {
  std::string out;
  out.reserve(s.size() * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

const std::string model_and_step =
    "model small(classes) {\n"
    "  input(8, 8, 1)\n"
    "  flatten()\n"
    "  dense(classes, softmax)\n"
    "}\n"
    "net = small(5)\n"
    "evaluate net on some\n";

/// A complete script evaluating on `tiny.train | where <predicate>`; the
/// predicate starts on line 2, column 27.
std::string with_predicate(const std::string& predicate) {
  return "tiny = idx(\"tiny\")\n"
         "some = tiny.train | where " + predicate + "\n" + model_and_step;
}

constexpr int deep = 100000;
constexpr int limit = tl::dsl::max_nesting_depth;

/// The error for nesting past the limit, at line 2, column `column`.
std::string too_deep_at(int column) {
  return "deep.tl:2:" + std::to_string(column) + ": error: this is nested more than " + std::to_string(limit) +
         " levels deep (brackets and 'not')\n";
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

TEST_CASE("nesting 100000 levels deep is an error at the first level past the limit, not a stack overflow") {
  SUBCASE("not not not ... label < 1") {
    const std::string out = check_text("deep.tl", with_predicate(repeat("not ", deep) + "label < 1"));
    CHECK(starts_with(out, too_deep_at(27 + 4 * limit)));
    // The 400 KB line is shown as an excerpt around the column.
    const std::string excerpt = "  ..." + repeat("not ", 15) + "not not";
    CHECK(out.find(excerpt) == too_deep_at(27 + 4 * limit).size());
    CHECK(out.size() < 600);
  }
  SUBCASE("((((... label < 1 ...))))") {
    const std::string out =
        check_text("deep.tl", with_predicate(repeat("(", deep) + "label < 1" + repeat(")", deep)));
    CHECK(starts_with(out, too_deep_at(27 + limit)));
  }
  SUBCASE("not (not (not ( ...") {
    const std::string out =
        check_text("deep.tl", with_predicate(repeat("not (", deep / 2) + "label < 1" + repeat(")", deep / 2)));
    // Levels alternate: the 257th is the `not` of the 129th pair.
    CHECK(starts_with(out, too_deep_at(27 + 5 * (limit / 2))));
  }
  SUBCASE("brackets that never close") {
    const std::string out = check_text("deep.tl", with_predicate(repeat("(", deep)));
    CHECK(starts_with(out, too_deep_at(27 + limit)));
  }
  SUBCASE("calls in calls") {
    const std::string out = check_text("deep.tl", "tiny = idx(\"tiny\")\nsome = " + repeat("f(", deep) + "1" +
                                                      repeat(")", deep) + "\n" + model_and_step);
    CHECK(starts_with(out, too_deep_at(8 + 2 * limit + 1)));
  }
  SUBCASE("layer blocks in layer blocks") {
    const std::string out = check_text("deep.tl", "tiny = idx(\"tiny\")\nsome = " +
                                                      repeat("copy(net | append {", deep) + "dense(1)" +
                                                      repeat("})", deep) + "\n" + model_and_step);
    CHECK(starts_with(out, "deep.tl:2:"));
    CHECK(out.find("nested more than 256 levels deep") != std::string::npos);
  }
}

TEST_CASE("nesting up to the limit checks normally") {
  // An even number of `not`s keeps `label < 1`, which tiny has samples for.
  CHECK(check_text("deep.tl", with_predicate(repeat("not ", limit) + "label < 1")) == "");
  CHECK(check_text("deep.tl", with_predicate(repeat("(", limit) + "label < 1" + repeat(")", limit))) == "");
  CHECK(check_text("deep.tl", with_predicate(repeat("not (", limit / 2) + "label < 1" + repeat(")", limit / 2))) ==
        "");
  // Brackets that closed free their levels: many groups side by side are fine.
  std::string wide = "label < 1";
  for (int i = 0; i < 50; ++i) wide += " or " + repeat("(", limit - 1) + "label == 0" + repeat(")", limit - 1);
  CHECK(check_text("deep.tl", with_predicate(wide)) == "");
  // Brackets and `not` inside strings and comments are not nesting.
  CHECK(check_text("deep.tl", "# " + repeat("(not ", deep) + "\n" + with_predicate("label < 1")) == "");
}

TEST_CASE("an enormous script checks in time linear in its size") {
  // Valid statements: the parser, the symbol table and the step list all grow.
  const auto script = [](std::size_t bytes) {
    std::string text = "seed 1\ntiny = idx(\"tiny\")\nsome = tiny.train\n" + model_and_step;
    for (int i = 0; text.size() < bytes; ++i)
      text += "# statement group " + std::to_string(i) + "\nsummary net\nevaluate net on tiny.test { batch 32 }\n";
    return text;
  };
  // CPU time of this thread (parsing and checking are single-threaded), not
  // wall time: other processes on a busy machine (ctest -j, a shared CI
  // runner) cannot stretch one measurement and not the other.
  const auto cpu_seconds = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  const auto seconds_to_check = [&](const std::string& text) {
    const double start = cpu_seconds();
    const std::string out = check_text("big.tl", text);
    const double took = cpu_seconds() - start;
    CHECK(out == "");
    return took;
  };
  // 3 MB and 15 MB: both under tl::max_script_bytes (16 MiB).
  const std::string small = script(3'000'000), big = script(15'000'000);
  // The smaller of two runs, so one slow moment (page faults on first use of
  // memory, say) does not decide the comparison.
  const double small_time = std::min(seconds_to_check(small), seconds_to_check(small));
  const double big_time = seconds_to_check(big);
  MESSAGE("3 MB: " << small_time << " s, 15 MB: " << big_time << " s");
  // Linear growth makes the ratio about 5; quadratic growth would make it 25.
  CHECK(big_time < 12 * small_time + 0.5);
}

TEST_CASE("a script over 16 MiB is refused with its size") {
  std::string text = "summary net\n";
  while (text.size() <= tl::max_script_bytes) text += "# padding padding padding padding padding padding\n";
  const std::string out = check_text("huge.tl", text);
  CHECK(starts_with(out, "huge.tl: error: the script is 16.0 MiB; tl reads scripts of up to 16.0 MiB\n"));
  CHECK(out.find("hint: ") != std::string::npos);
  text.resize(tl::max_script_bytes);  // exactly at the limit: read (and checked)
  CHECK(check_text("huge.tl", text).find("tl reads scripts of up to") == std::string::npos);
}

TEST_CASE("a script full of mistakes stops after 50 errors") {
  // Every unknown name is compared with every defined name for a spelling
  // suggestion: 20,000 of each took minutes before the limit.
  std::string text = "tiny = idx(\"tiny\")\n";
  for (int i = 0; i < 20000; ++i) text += "d" + std::to_string(i) + " = tiny.train\n";
  for (int i = 0; i < 20000; ++i) text += "summary q" + std::to_string(i) + "\n";
  const std::string out = check_text("mistakes.tl", text);
  std::size_t unknown = 0;
  for (std::size_t at = 0; (at = out.find(": error: unknown name", at)) != std::string::npos; ++at) ++unknown;
  CHECK(unknown == 50);
  CHECK(out.find("mistakes.tl:20052:1: error: too many errors (50); the rest of the script is not checked\n") !=
        std::string::npos);
}

TEST_CASE("bytes that are not UTF-8") {
  SUBCASE("outside strings: a syntax error at the byte") {
    const std::string out = check_text("bytes.tl", "tiny = idx(\"tiny\")\n\xff\xfe = 3\n");
    CHECK(starts_with(out, "bytes.tl:2:1: error: expected a statement"));
  }
  SUBCASE("inside strings: just characters of the name") {
    const std::string out = check_text("bytes.tl", "tiny = idx(\"ti\xc3\x28ny\")\n");
    CHECK(starts_with(out, "bytes.tl:1:12: error: dataset \"ti\xc3\x28ny\" not found"));
  }
  SUBCASE("inside comments: ignored") {
    CHECK(check_text("bytes.tl", "# caf\xe9 \x80\x81\xfe\xff\n" + with_predicate("label < 1")) == "");
  }
}

TEST_CASE("NUL bytes") {
  using namespace std::string_literals;
  SUBCASE("outside strings: a syntax error at the byte") {
    const std::string out = check_text("nul.tl", "tiny = idx(\"tiny\")\nsome\0 = tiny.train\n"s);
    // The statement that cannot go on is the one reported, as for any stray
    // character after a name.
    CHECK(starts_with(out, "nul.tl:2:1: error: expected a statement"));
  }
  SUBCASE("in a dataset name: rejected, not cut short at the NUL") {
    const std::string out = check_text("nul.tl", "tiny = idx(\"tiny\0garbage\")\n"s);
    CHECK(starts_with(out, "nul.tl:1:12: error: the dataset name contains a NUL byte\n"));
  }
  SUBCASE("in a file path: rejected, not cut short at the NUL") {
    const std::string dir = tl::test::fixture_data_dir() + "/tiny/";
    const std::string out = check_text("nul.tl", "some = idx(images = \"" + dir + "train-images-idx3-ubyte\0.png\""s +
                                                     ", labels = \"" + dir + "train-labels-idx1-ubyte\")\n" + model_and_step);
    CHECK(starts_with(out, "nul.tl:1:21: error: images contains a NUL byte\n"));
  }
  SUBCASE("inside comments: ignored") {
    CHECK(check_text("nul.tl", "# a \0 in a comment\n"s + with_predicate("label < 1")) == "");
  }
}

TEST_CASE("scripts with nothing to do") {
  const std::string no_step = "error: the script has no train, evaluate, compare or summary step";
  CHECK(starts_with(check_text("empty.tl", ""), "empty.tl:1:1: " + no_step));
  CHECK(starts_with(check_text("blank.tl", "\n  \n\t\n"), "blank.tl:4:1: " + no_step));
  CHECK(starts_with(check_text("comments.tl", "# only\n# comments\n"), "comments.tl:3:1: " + no_step));
  CHECK(starts_with(check_text("comments.tl", "# no newline at the end"), "comments.tl:1:24: " + no_step));
}
