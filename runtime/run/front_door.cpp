// Parse, check and data set-up in one place (see front_door.hpp).
#include "runtime/run/front_door.hpp"

#include <algorithm>
#include <thread>

#include "compiler/check/checker.hpp"
#include "dsl/grammar.hpp"
#include "runtime/data/locate.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/onnx/onnx_import.hpp"

namespace tl::run {

Script open_script(SourceFile source, const FrontOptions& options) {
  Script script{std::move(source), {}, std::make_unique<data::DataStore>(options.image_cache_bytes), {}};
  script.program = dsl::parse(script.source);
  check::CheckOptions check_options;
  check_options.seed = options.seed;
  check_options.data_dirs =
      options.data_dirs.empty() ? data::default_search_dirs(script.source.directory()) : options.data_dirs;
  check_options.load_model = [](const std::string& path) {
    try {
      return io::load_model(path).spec;
    } catch (const data::DataError& e) {
      throw data::to_check_error(e);
    }
  };
  check_options.import_onnx = [](const std::string& path) {
    try {
      return onnx_import::import_onnx(path).spec;
    } catch (const data::DataError& e) {
      throw data::to_check_error(e);
    }
  };
  script.experiment = check::check(script.program, script.source, *script.data, check_options);
  return script;
}

int threads_for(const std::string& backend, int requested) {
  if (backend != "jit") return 1;
  return requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace tl::run
