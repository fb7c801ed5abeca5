// The comparison report: numbers, verdicts, files (CSV, SVG charts, HTML)
// and the comparisons section of results.json.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dsl/source.hpp"
#include "runtime/report/compare.hpp"
#include "runtime/report/csv_field.hpp"
#include "runtime/run/run_experiment.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

tl::train::EpochStats epoch(int e, double accuracy) {
  tl::train::EpochStats s;
  s.epoch = e;
  s.accuracy = accuracy;
  s.loss = 1 - accuracy;
  s.steps = 10;
  s.seconds = 0.5;
  return s;
}

}  // namespace

TEST_CASE("convergence is the first epoch within 99% of the best training accuracy") {
  tl::report::CompareRow row;
  row.history = {epoch(1, 0.50), epoch(2, 0.90), epoch(3, 0.952), epoch(4, 0.96), epoch(5, 0.955)};
  row.test.accuracy = 0.93;
  row.train = tl::train::EvalStats{0.1, 0.97, 1, 100};
  const auto s = tl::report::stats_of(row);
  CHECK(s.converged_epoch == 3);  // 0.952 >= 0.99 * 0.96 = 0.9504; 0.90 is not
  CHECK(s.converged_step == 30);
  CHECK(s.gap == doctest::Approx(0.04));
  CHECK(s.train_seconds == doctest::Approx(2.5));
}

TEST_CASE("verdicts state the difference in numbers against the baseline") {
  tl::report::Comparison c;
  c.data = "test";
  tl::report::CompareRow a, b, same;
  a.model = "scratch";
  a.test = {0.30, 0.900, 0, 1000};
  b.model = "transfer";
  b.test = {0.20, 0.925, 0, 1000};
  same.model = "again";
  same.test = {0.30, 0.9005, 0, 1000};
  c.rows = {a, b, same};
  const std::string table = tl::report::render_table(c);
  c.rows[1].test.samples = c.rows[0].test.samples = 20000;  // 0.6 points of noise
  CHECK(tl::report::render_table(c).find("transfer vs scratch: +2.50 points test accuracy (better), -0.1000 test loss") !=
        std::string::npos);
  c.rows[1].test.samples = c.rows[0].test.samples = 1000;
  // p = 0.9125: 2 sqrt(2 p (1 - p) / 1000) = 2.53 points of noise; +2.5 is within it.
  CHECK(table.find("transfer vs scratch: +2.50 points test accuracy (within the noise of 2.53 points)") != std::string::npos);
  CHECK(table.find("again vs scratch: +0.05 points test accuracy (within the noise") != std::string::npos);
  CHECK(tl::report::render_csv(c).find("transfer,test,0.925000,0.200000,") != std::string::npos);
}

TEST_CASE("a compare step writes the table, CSV, charts, HTML and results") {
  const std::string script = R"(
seed 2
tiny = idx("tiny")
data = tiny.train | scale 1/255
test = tiny.test | scale 1/255
model small(classes) {
  input(8, 8, 1)
  flatten()
  dense(8, relu)
  dense(classes, softmax)
}
source = small(5)
train source on data { epochs 3  batch 16  optimizer adam(lr = 0.01) }
scratch = small(5)
train scratch on data { epochs 3  batch 16  optimizer adam(lr = 0.01) }
transfer = copy(source) | drop 1 | append { dense(5, softmax) }
train transfer on data { epochs 3  batch 16  optimizer adam(lr = 0.01) }
compare scratch, transfer on test
)";
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("compare.tl", script, store);
  const auto dir = std::filesystem::temp_directory_path() / "tl-compare";
  std::filesystem::remove_all(dir);
  tl::run::RunOptions options;
  options.out_dir = dir.string();
  char* text = nullptr;
  std::size_t size = 0;
  options.out = open_memstream(&text, &size);
  tl::run::run_experiment(exp, store, tl::SourceFile("compare.tl", script), options);
  std::fclose(options.out);
  const std::string out(text, size);
  std::free(text);

  CHECK(out.find("Comparison on test (20 samples)") != std::string::npos);
  CHECK(out.find("transfer vs scratch: ") != std::string::npos);
  CHECK(read(dir / "compare-1.csv").find("scratch,test,") != std::string::npos);
  CHECK(read(dir / "history.csv").find("transfer,data,3,") != std::string::npos);
  const std::string html = read(dir / "report.html");
  CHECK(html.find("<table>") != std::string::npos);
  CHECK(html.find("compare-1-loss.svg") != std::string::npos);
  for (const char* svg : {"compare-1-loss.svg", "compare-1-accuracy.svg"}) {
    const std::string chart = read(dir / svg);
    CAPTURE(svg);
    CHECK(chart.find("<svg") != std::string::npos);
    CHECK(chart.find("scratch") != std::string::npos);
    CHECK(chart.find("transfer") != std::string::npos);
  }
  const auto results = nlohmann::json::parse(read(dir / "results.json"));
  REQUIRE(results["comparisons"].size() == 1);
  const auto& rows = results["comparisons"][0]["rows"];
  CHECK(results["comparisons"][0]["baseline"] == "scratch");
  CHECK(rows[1]["model"] == "transfer");
  CHECK(rows[1]["converged_epoch"].get<int>() >= 1);
  CHECK(rows[1].contains("generalization_gap"));
}

TEST_CASE("CSV fields are quoted as RFC 4180 asks") {
  CHECK(tl::report::csv_field("plain") == "plain");
  CHECK(tl::report::csv_field("digits | relabel {7: 0, 8: 1}") == "\"digits | relabel {7: 0, 8: 1}\"");
  CHECK(tl::report::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(tl::report::csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(tl::report::csv_field("") == "");
}
