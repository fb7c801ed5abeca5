// libFuzzer target: arbitrary bytes as a .tl script, parsed and checked
// against small generated datasets (the checker loads every dataset a script
// names, so data-dependent checks run too). A DiagnosticError is the expected
// outcome for bad input; a crash, any other exception, a hang, a leak or UB
// is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/check/checker.hpp"
#include "runtime/data/data_store.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/grammar.hpp"
#include "fuzz/scratch_dir.hpp"
#include "runtime/data/idx.hpp"

namespace {

/// Writes <dir>/<name>/{train,t10k}-{images,labels}-idx{3,1}-ubyte: `side` x
/// `side` images whose label i % classes is drawn as a bright row.
void write_dataset(const tl::fuzz::ScratchDir& dir, const std::string& name, std::uint32_t side,
                   std::uint32_t classes) {
  const std::string folder = dir.file(name);
  std::filesystem::create_directories(folder);
  for (const auto& [part, count] : {std::pair{"train", 40u}, std::pair{"t10k", 20u}}) {
    tl::data::IdxArray images{{count, side, side}, std::vector<std::uint8_t>(std::size_t{count} * side * side)};
    tl::data::IdxArray labels{{count}, std::vector<std::uint8_t>(count)};
    for (std::uint32_t i = 0; i < count; ++i) {
      labels.bytes[i] = static_cast<std::uint8_t>(i % classes);
      for (std::uint32_t x = 0; x < side; ++x) images.bytes[(std::size_t{i} * side + i % classes % side) * side + x] = 220;
    }
    tl::data::write_idx(folder + "/" + part + "-images-idx3-ubyte", images);
    tl::data::write_idx(folder + "/" + part + "-labels-idx1-ubyte", labels);
  }
}

/// The scratch folder with the datasets the seed scripts name: tiny (8x8,
/// 5 classes, as in the unit-test fixtures), mnist and fashion-mnist (28x28,
/// 10 classes). Only this folder is searched, never the real data.
const tl::fuzz::ScratchDir& data_dir() {
  static const tl::fuzz::ScratchDir dir("script");
  static const bool written = [] {
    write_dataset(dir, "tiny", 8, 5);
    write_dataset(dir, "mnist", 28, 10);
    write_dataset(dir, "fashion-mnist", 28, 10);
    return true;
  }();
  (void)written;
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const tl::fuzz::ScratchDir& dir = data_dir();
  // Named inside the scratch folder, so relative paths in idx(images = ...)
  // resolve there.
  const tl::SourceFile source(dir.file("fuzz.tl"), std::string(reinterpret_cast<const char*>(data), size));
  try {
    const tl::ast::Program program = tl::dsl::parse(source);
    tl::data::DataStore store;
    tl::check::CheckOptions options;
    options.data_dirs = {dir.path()};
    tl::check::check(program, source, store, options);
  } catch (const tl::DiagnosticError&) {
    // The expected outcome for a bad script.
  }
  return 0;
}
