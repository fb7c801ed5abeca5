// Generated tiny datasets for tests (see fixtures.hpp).
#include "tests/unit/fixtures.hpp"

#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <sstream>

#include "compiler/check/checker.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/grammar.hpp"
#include "runtime/data/idx.hpp"

namespace tl::test {

namespace {

void write_part(const std::string& dir, const std::string& prefix, std::uint32_t count) {
  data::IdxArray images{{count, 8, 8}, std::vector<std::uint8_t>(count * 64u)};
  data::IdxArray labels{{count}, std::vector<std::uint8_t>(count)};
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint8_t label = static_cast<std::uint8_t>(i % 5);
    labels.bytes[i] = label;
    for (std::uint32_t p = 0; p < 64; ++p) {
      const std::uint32_t row = p / 8;
      images.bytes[i * 64 + p] = static_cast<std::uint8_t>(row == label ? 200 + (p + i) % 50 : (p * 7 + i * 3) % 40);
    }
  }
  data::write_idx(dir + "/" + prefix + "-images-idx3-ubyte", images);
  data::write_idx(dir + "/" + prefix + "-labels-idx1-ubyte", labels);
}

}  // namespace

const std::string& fixture_data_dir() {
  static const std::string dir = [] {
    const std::string root = (std::filesystem::temp_directory_path() / ("tl-fixtures-" + std::to_string(getpid()))).string();
    std::filesystem::create_directories(root + "/tiny");
    std::filesystem::create_directories(root + "/broken");
    write_part(root + "/tiny", "train", 96);
    write_part(root + "/tiny", "t10k", 20);
    write_part(root + "/broken", "train", 96);
    write_part(root + "/broken", "t10k", 20);
    // Cut the broken train images 100 bytes into the pixel data.
    std::filesystem::resize_file(root + "/broken/train-images-idx3-ubyte", 16 + 100);
    return root;
  }();
  return dir;
}

std::string check_text(const std::string& name, const std::string& text) {
  std::string out;
  try {
    const SourceFile source(name, text);
    const ast::Program program = dsl::parse(source);
    data::DataStore store;
    check::CheckOptions options;
    options.data_dirs = {fixture_data_dir()};
    check::check(program, source, store, options);
  } catch (const DiagnosticError& e) {
    out = e.render();
  }
  const std::string& dir = fixture_data_dir();
  for (std::size_t at; (at = out.find(dir)) != std::string::npos;) out.replace(at, dir.size(), "<data>");
  return out;
}

std::vector<Golden> golden_error_scripts() {
  std::vector<Golden> list;
  const std::filesystem::path dir = std::filesystem::path(TL_SOURCE_DIR) / "tests/golden/errors";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".tl") continue;
    std::filesystem::path expected = entry.path();
    expected.replace_extension(".expected");
    list.push_back({entry.path().filename().string(), entry.path().string(), expected.string()});
  }
  std::sort(list.begin(), list.end(), [](const Golden& a, const Golden& b) { return a.name < b.name; });
  return list;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

check::Experiment check_ok(const std::string& name, const std::string& text, data::DataStore& store) {
  const SourceFile source(name, text);
  check::CheckOptions options;
  options.data_dirs = {fixture_data_dir()};
  try {
    return check::check(dsl::parse(source), source, store, options);
  } catch (const DiagnosticError& e) {
    throw std::runtime_error("unexpected diagnostics:\n" + e.render());
  }
}

std::string check_error(const std::string& name, const std::string& text, data::DataStore& store) {
  const SourceFile source(name, text);
  check::CheckOptions options;
  options.data_dirs = {fixture_data_dir()};
  try {
    check::check(dsl::parse(source), source, store, options);
  } catch (const DiagnosticError& e) {
    return e.render();
  }
  throw std::runtime_error("the script passed its check:\n" + text);
}

}  // namespace tl::test
