// Test fixtures: tiny generated IDX datasets in a per-process temp folder,
// laid out like the real ones (<dir>/<name>/{train,t10k}-*-ubyte), so golden
// scripts can say idx("tiny") without any downloaded data.
//   tiny:    train 96 images 8x8, labels i % 5; test 20 images, labels i % 5.
//            Pixels encode the label (a bright row at 'label'), so a model can
//            learn it quickly.
//   broken:  like tiny, but the train images file is truncated mid-data.
#pragma once

#include <string>
#include <vector>

#include "runtime/data/data_store.hpp"
#include "compiler/check/experiment.hpp"
#include "runtime/train/trainer.hpp"

namespace tl::test {

/// The folder holding tiny/ and broken/ (created on first use).
const std::string& fixture_data_dir();

/// Runs parse + check on `text` as if it were the file `name`, with
/// fixture_data_dir() as the only data search dir. Returns the rendered
/// diagnostics ("" when the script checks), with the fixture path replaced
/// by "<data>".
std::string check_text(const std::string& name, const std::string& text);

/// A golden error test: tests/golden/errors/NAME.tl and NAME.expected.
struct Golden {
  std::string name;  ///< "NAME.tl"
  std::string script_path, expected_path;
};
/// Every golden error script, sorted by name.
std::vector<Golden> golden_error_scripts();
/// A file's bytes ("" when it does not exist).
std::string read_file(const std::string& path);

/// Parses and checks `text` (named `name`) against the fixtures; the checked
/// experiment, or a doctest failure with the diagnostics.
check::Experiment check_ok(const std::string& name, const std::string& text, data::DataStore& store);
/// The rendered diagnostics of a script that must fail its check (throws
/// std::runtime_error when it passes).
std::string check_error(const std::string& name, const std::string& text, data::DataStore& store);

/// Training progress that prints nothing.
struct QuietProgress : train::ProgressSink {
  void epoch_begin(int, int, std::int64_t) override {}
  void step(std::int64_t, double, double) override {}
  void epoch_end(const train::EpochStats&) override {}
};

}  // namespace tl::test
