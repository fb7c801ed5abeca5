// tlc: the command-line driver. Every stage of the pipeline can be dumped:
//   tlc check FILE [--emit=ast|graph|grad|fused|llvm]   parse + check (+ dump a stage)
//   tlc summary FILE                         parse + check + model tables
//   tlc run FILE [--out DIR] [--backend B] [--threads N] [--seed N]
// Exit status: 0 success, 1 an error in the script, its data or the run,
// 2 a usage error. Errors go to stderr as FILE:LINE:COL: error: ...
#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>
#include <unistd.h>

#include "compiler/check/checker.hpp"
#include "compiler/codegen/compile.hpp"
#include "compiler/ir/graph.hpp"
#include "compiler/lower/step_graph.hpp"
#include "dsl/ast_printer.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/grammar.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/locate.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/report/summary.hpp"
#include "runtime/train/run_experiment.hpp"

namespace {

/// Set by the first Ctrl-C: training stops after the current step and the
/// last checkpoint is kept. A second Ctrl-C ends the process at once.
volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_interrupt(int) {
  interrupted = 1;
  std::signal(SIGINT, SIG_DFL);
}

struct Options {
  std::string file;
  std::string out_dir;
  std::string backend = "jit";
  std::string emit;
  int threads = 0;
  std::string on_nan = "stop";
  bool resume = false;
  std::optional<std::uint64_t> seed;
};

/// Every model's first train step, for --emit=graph (forward), grad (with
/// backward and updates), fused (the JIT's kernels) or llvm (its optimised IR).
void emit_graphs(const tl::check::Experiment& exp, const std::string& stage) {
  const bool with_backward = stage != "graph";
  for (const auto& step : exp.steps) {
    if (step.kind != tl::check::Step::Kind::Train) continue;
    const auto& model = exp.models[static_cast<std::size_t>(step.model)];
    const auto kind = with_backward ? tl::lower::StepKind::Train : tl::lower::StepKind::Eval;
    const auto graph = tl::lower::build_step(model, step.train.batch, kind, &step.train, model.frozen);
    const std::string text = stage == "fused"  ? tl::codegen::describe(tl::codegen::plan_step(graph.graph), graph.graph)
                             : stage == "llvm" ? tl::codegen::optimised_ir(graph.graph)
                                               : tl::ir::print(graph.graph);
    std::printf("# %s step of model %s (batch %lld)\n%s\n", with_backward ? "train" : "forward (eval)",
                model.name.c_str(), static_cast<long long>(step.train.batch), text.c_str());
  }
}

int execute(const std::string& command, const Options& o) {
  const tl::SourceFile source = tl::SourceFile::load(o.file);
  const tl::ast::Program program = tl::dsl::parse(source);
  if (o.emit == "ast") {
    std::fputs(tl::dsl::print_ast(program, source).c_str(), stdout);
    return 0;
  }
  tl::check::DataStore store;
  tl::check::CheckOptions check_options;
  check_options.seed = o.seed;
  check_options.data_dirs = tl::data::default_search_dirs(source.directory());
  check_options.load_model = [](const std::string& path) { return tl::io::load_model(path).spec; };
  const tl::check::Experiment exp = tl::check::check(program, source, store, check_options);
  if (o.emit == "graph" || o.emit == "grad" || o.emit == "fused" || o.emit == "llvm") {
    emit_graphs(exp, o.emit);
    return 0;
  }
  if (command == "check") {
    std::fprintf(stderr, "%s: ok (%zu models, %zu steps)\n", o.file.c_str(), exp.models.size(), exp.steps.size());
    return 0;
  }
  if (command == "summary") {
    for (const auto& m : exp.models) std::printf("%s\n", tl::report::summary(m).c_str());
    return 0;
  }
  tl::train::RunOptions run;
  run.out_dir = o.out_dir.empty() ? "runs/" + std::filesystem::path(o.file).stem().string() : o.out_dir;
  run.backend = o.backend;
  // The reference executor is single-threaded; the JIT uses every core unless told.
  run.threads = o.backend == "jit" ? (o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))) : 1;
  run.live = isatty(fileno(stdout));
  run.continue_on_nan = o.on_nan == "continue";
  run.resume = o.resume;
  run.script_text = source.text();
  run.should_stop = [] { return interrupted != 0; };
  std::signal(SIGINT, on_interrupt);
  tl::train::run_experiment(exp, store, source, run);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tlc: run transfer-learning experiments written in .tl"};
  app.require_subcommand(1);
  Options o;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("file", o.file, "the .tl script")->required();
    sub->add_option("--seed", o.seed, "override the script's seed");
    sub->add_option("--emit", o.emit,
                    "dump a stage and stop: ast, graph (forward), grad (train step), fused (JIT kernels) or llvm (optimised IR)")
        ->check(CLI::IsMember({"ast", "graph", "grad", "fused", "llvm"}));
  };
  CLI::App* run = app.add_subcommand("run", "check the script, then run its experiment");
  add_common(run);
  run->add_option("--out", o.out_dir, "output folder (default runs/<script name>)");
  run->add_option("--backend", o.backend, "executor: jit (default) or reference")->check(CLI::IsMember({"reference", "jit"}));
  run->add_option("--threads", o.threads, "worker threads (default: all cores)")->check(CLI::PositiveNumber);
  run->add_flag("--resume", o.resume, "continue an interrupted run from its checkpoint in the --out folder");
  run->add_option("--on-nan", o.on_nan, "when the loss or a weight becomes NaN/Inf: stop (default) or continue")
      ->check(CLI::IsMember({"stop", "continue"}));
  CLI::App* check = app.add_subcommand("check", "parse and check the script only; no training");
  add_common(check);
  CLI::App* summary = app.add_subcommand("summary", "check the script and print every model's summary");
  add_common(summary);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const std::string command = app.get_subcommands().front()->get_name();
  try {
    return execute(command, o);
  } catch (const tl::DiagnosticError& e) {
    std::fputs(e.render().c_str(), stderr);
    if (interrupted) return 130;
    const auto n = e.diagnostics().size();
    if (n > 1) std::fprintf(stderr, "%zu errors\n", n);
    return 1;
  } catch (const tl::data::DataError& e) {
    std::fprintf(stderr, "%s\n", e.format().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlc: internal error: %s\n  hint: this is a bug in tl; please report it with the script\n",
                 e.what());
    return 3;
  }
}
