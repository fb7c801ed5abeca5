// tlc: the command-line driver. Every stage of the pipeline can be dumped:
//   tlc check FILE [--emit=ast|graph|grad|fused|llvm|cost]   parse + check (+ dump a stage)
//   tlc summary FILE                         parse + check + model tables
//   tlc run FILE [--out DIR] [--backend B] [--threads N] [--seed N] [--onnx]
//   tlc export MODEL.safetensors OUT.onnx    a model file as ONNX
//   tlc predict MODEL.safetensors PATH...    the class of each image file or folder's images
// Exit status: 0 success, 1 an error in the script, its data or the run,
// 2 a usage error. Errors go to stderr as FILE:LINE:COL: error: ...
// Under mpirun (docs/scale-out.md) every process runs `tlc run`: train steps
// and evaluations are shared among them, or a repeated script's seeds are;
// rank 0 prints and writes the run folder, the others write only into a
// scratch folder they remove, and an error on any rank ends them all.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>
#include <limits>
#include <malloc.h>
#include <unistd.h>

#include <fmt/format.h>

#include "compiler/codegen/compile.hpp"
#include "compiler/ir/cost.hpp"
#include "compiler/ir/graph.hpp"
#include "compiler/lower/step_graph.hpp"
#include "dsl/ast_printer.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/grammar.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/folder_images.hpp"
#include "runtime/dist/failure.hpp"
#include "tools/tlc/mpi_world.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/onnx/onnx_export.hpp"
#include "runtime/report/summary.hpp"
#include "runtime/run/front_door.hpp"
#include "runtime/run/predict_files.hpp"
#include "runtime/run/repeats.hpp"
#include "runtime/run/run_experiment.hpp"
#include "runtime/train/trainer.hpp"

namespace {

/// Set by the first Ctrl-C: training stops after the current step and the
/// last checkpoint is kept. A second Ctrl-C ends the process at once.
volatile std::sig_atomic_t interrupted = 0;

/// A command line tlc cannot run as given (exit status 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Set when every process of an MPI job ends with the same status (a
/// sweep's outcome): no need to abort the others.
bool agreed_exit = false;

/// Prints what ended the run (marked with `rank` on processes other than 0)
/// and returns the exit status.
int report(std::exception_ptr error, const std::string& rank) {
  try {
    std::rethrow_exception(error);
  } catch (const tl::DiagnosticError& e) {
    const std::string text = rank + e.render();  // written whole: a NUL in it must not end it
    std::fwrite(text.data(), 1, text.size(), stderr);
    const auto n = e.diagnostics().size();
    if (n > 1) std::fprintf(stderr, "%s%zu errors\n", rank.c_str(), n);
    return interrupted ? 130 : 1;
  } catch (const tl::data::DataError& e) {
    std::fprintf(stderr, "%s%s\n", rank.c_str(), e.format().c_str());
    return 1;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%stlc: %s\n", rank.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%stlc: internal error: %s\n  hint: this is a bug in tl; please report it with the script\n",
                 rank.c_str(), e.what());
    return 3;
  }
}

extern "C" void on_interrupt(int) {
  interrupted = 1;
  std::signal(SIGINT, SIG_DFL);
}

struct Options {
  std::string file;
  std::string out_dir;
  std::string backend = tl::run::default_backend;
  std::string emit;
  int threads = 0;
  std::string on_nan = "stop";
  bool resume = false;
  bool onnx = false;
  std::optional<std::uint64_t> seed;
  std::string model, onnx_out;  // tlc export
  std::vector<std::string> paths;  // tlc predict
  int top = 1;
  bool skip_bad = false;
  std::optional<double> scale, offset;
  std::optional<std::size_t> image_cache;  // bytes
  bool once = false;                       // a repeated script: this seed only
};

/// tlc predict: one line per image, "FILE<TAB>CLASS<TAB>SCORE" (then the next
/// best classes with --top, then the class folder's name for a labelled
/// folder), and a summary on stderr.
int predict(const Options& o) {
  tl::run::PredictOptions options;
  options.backend = o.backend;
  options.threads = tl::run::threads_for(o.backend, o.threads);
  options.top = o.top;
  options.skip_bad = o.skip_bad;
  if (o.scale || o.offset) options.pixels = tl::data::PixelMap{o.scale.value_or(1.0), o.offset.value_or(0.0)};
  const tl::run::PredictResult r = tl::run::predict_files(o.model, o.paths, options);
  std::size_t labelled = 0, right = 0;
  for (const auto& p : r.rows) {
    std::string line = p.file;
    for (const auto& [name, score] : p.top) line += fmt::format("\t{}\t{:.4f}", name, score);
    if (!p.truth.empty()) {
      line += "\t" + p.truth;
      ++labelled;
      right += p.top.front().first == p.truth;
    }
    std::printf("%s\n", line.c_str());
  }
  for (const auto& [file, why] : r.skipped) std::fprintf(stderr, "%s: skipped: %s\n", file.c_str(), why.c_str());
  std::fprintf(stderr, "%zu image%s", r.rows.size(), r.rows.size() == 1 ? "" : "s");
  if (!r.skipped.empty()) std::fprintf(stderr, ", %zu skipped", r.skipped.size());
  if (labelled)
    std::fprintf(stderr, "; %zu of the %zu in class folders predicted as their folder's class (%.2f%%)", right, labelled,
                 100.0 * static_cast<double>(right) / static_cast<double>(labelled));
  std::fprintf(stderr, "\n");
  return 0;
}

/// Every model's first train step, for --emit=graph (forward), grad (with
/// backward and updates), fused (the JIT's kernels) or llvm (its optimised IR).
void emit_graphs(const tl::check::Experiment& exp, const std::string& stage) {
  const bool with_backward = stage != "graph";
  for (const auto& step : exp.steps) {
    if (step.kind != tl::check::Step::Kind::Train) continue;
    const auto& model = exp.models[static_cast<std::size_t>(step.model)];
    const auto kind = with_backward ? tl::lower::StepKind::Train : tl::lower::StepKind::Eval;
    const auto graph = tl::lower::build_step(model, step.train.batch, kind, &step.train, model.frozen);
    // The step as tlc runs it: a dataset's images are fed as bytes.
    const tl::codegen::StepOptions bytes{true};
    const std::string text = stage == "fused"  ? tl::codegen::describe(tl::codegen::plan_step(graph.graph, bytes), graph.graph)
                             : stage == "llvm" ? tl::codegen::optimised_ir(graph.graph, bytes)
                                               : tl::ir::print(graph.graph);
    std::printf("# %s step of model %s (batch %lld)\n%s\n", with_backward ? "train" : "forward (eval)",
                model.name.c_str(), static_cast<long long>(step.train.batch), text.c_str());
  }
}

/// FLOPs of one step of `model` at `batch` (compiler/ir/cost.hpp).
std::int64_t step_flops(const tl::check::ModelSpec& model, std::int64_t batch, tl::lower::StepKind kind,
                        const tl::check::TrainConfig& config) {
  return tl::ir::flops(tl::lower::build_step(model, batch, kind, &config, model.frozen).graph);
}

/// FLOPs of one pass over `samples` in batches of `batch`, the last one partial.
std::int64_t pass_flops(const tl::check::ModelSpec& model, std::int64_t samples, std::int64_t batch,
                        tl::lower::StepKind kind, const tl::check::TrainConfig& config) {
  const std::int64_t full = samples / batch, rest = samples % batch;
  return full * step_flops(model, batch, kind, config) + (rest > 0 ? step_flops(model, rest, kind, config) : 0);
}

void print_step_flops(const char* what, std::int64_t flops, std::int64_t batch) {
  std::printf("%-16s %14" PRId64 " FLOP per batch of %" PRId64 ", %.0f per sample\n", what, flops, batch,
              static_cast<double>(flops) / static_cast<double>(batch));
}

void print_pass_flops(const char* what, std::int64_t flops) {
  std::printf("%-16s %14" PRId64 " FLOP (%.3f GFLOP)\n", what, flops, static_cast<double>(flops) * 1e-9);
}

/// --emit=cost: for every train step, the FLOPs of one train step and one eval
/// step at its batch, of one epoch (the last batch partial, as the trainer runs
/// it) and the train step by op; for every evaluate step, its eval step and
/// its pass over the data. Counting convention: compiler/ir/cost.hpp.
void emit_cost(const tl::check::Experiment& exp, tl::data::DataStore& store) {
  using tl::lower::StepKind;
  std::map<int, tl::check::TrainConfig> trained;  // model -> its latest training, for the loss of evaluations
  for (const auto& step : exp.steps) {
    if (step.kind != tl::check::Step::Kind::Train && step.kind != tl::check::Step::Kind::Evaluate) continue;
    const auto& model = exp.models[static_cast<std::size_t>(step.model)];
    const auto samples = static_cast<std::int64_t>(store.get(exp, step.data)->size());
    const std::string& data = exp.data[static_cast<std::size_t>(step.data)].display;
    if (step.kind == tl::check::Step::Kind::Evaluate) {
      const auto it = trained.find(step.model);
      const auto config = it != trained.end() ? it->second : tl::train::default_eval_config(model);
      std::printf("# evaluate %s on %s: %" PRId64 " samples, batch %" PRId64 "\n", model.name.c_str(), data.c_str(),
                  samples, step.eval_batch);
      print_step_flops("eval step", step_flops(model, step.eval_batch, StepKind::Eval, config), step.eval_batch);
      print_pass_flops("eval pass", pass_flops(model, samples, step.eval_batch, StepKind::Eval, config));
      continue;
    }
    const auto& config = step.train;
    trained[step.model] = config;
    const std::int64_t batch = config.batch, rest = samples % batch;
    std::printf("# train %s on %s: %" PRId64 " samples, batch %" PRId64 ", %" PRId64 " steps of %" PRId64, model.name.c_str(),
                data.c_str(), samples, batch, samples / batch, batch);
    if (rest > 0) std::printf(" and 1 of %" PRId64, rest);
    std::printf(" per epoch; FLOPs as in compiler/ir/cost.hpp (a multiply-add counts 2)\n");
    const auto train = tl::lower::build_step(model, batch, StepKind::Train, &config, model.frozen);
    print_step_flops("train step", tl::ir::flops(train.graph), batch);
    print_step_flops("eval step", step_flops(model, batch, StepKind::Eval, config), batch);
    print_pass_flops("train epoch", pass_flops(model, samples, batch, StepKind::Train, config));
    if (config.validation >= 0) {
      const auto n = static_cast<std::int64_t>(store.get(exp, config.validation)->size());
      print_pass_flops("validation pass", pass_flops(model, n, batch, StepKind::Eval, config));
    }
    // The train step by op spelling, largest first.
    std::map<std::string_view, std::pair<std::int64_t, int>> by_op;  // FLOPs, nodes
    for (std::size_t i = 0; i < train.graph.size(); ++i) {
      const auto id = static_cast<tl::ir::NodeId>(i);
      if (const std::int64_t f = tl::ir::flops(train.graph, id); f > 0) {
        auto& [total, nodes] = by_op[tl::ir::spelling(train.graph.node(id).op)];
        total += f;
        ++nodes;
      }
    }
    std::vector<std::pair<std::string_view, std::pair<std::int64_t, int>>> rows(by_op.begin(), by_op.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
    const auto total = static_cast<double>(tl::ir::flops(train.graph));
    std::printf("train step by op:\n");
    for (const auto& [op, row] : rows)
      std::printf("  %-20s %12" PRId64 " %5.1f%%  (%d node%s)\n", std::string(op).c_str(), row.first,
                  100.0 * static_cast<double>(row.first) / total, row.second, row.second == 1 ? "" : "s");
  }
}

namespace fs = std::filesystem;

/// A data-parallel process other than rank 0: its own scratch copy of the run
/// folder (a resumed run starts from rank 0's checkpoint), removed at exit.
struct Scratch {
  std::string dir;
  Scratch(const std::string& out_dir, int rank, bool resume) {
    std::string pattern = (fs::temp_directory_path() / ("tlc-rank" + std::to_string(rank) + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot make a scratch folder in " + fs::temp_directory_path().string());
    dir = pattern;
    if (resume && fs::exists(out_dir)) fs::copy(out_dir, dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

int execute(const std::string& command, const Options& o, const tl::dist::Communicator& comm) {
  if (command == "predict") return predict(o);
  if (command == "export") {
    const tl::io::LoadedModel m = tl::io::load_model(o.model);
    tl::onnx_export::export_onnx(o.onnx_out, m.spec, m.vars, m.pixels);
    std::fprintf(stderr, "%s: wrote %s (ONNX opset %d)\n", o.model.c_str(), o.onnx_out.c_str(), tl::onnx_export::export_opset);
    return 0;
  }
  tl::SourceFile source = tl::SourceFile::load(o.file);
  if (o.emit == "ast") {  // the parser's output alone, before any check
    std::fputs(tl::dsl::print_ast(tl::dsl::parse(source), source).c_str(), stdout);
    return 0;
  }
  tl::run::FrontOptions front;
  front.seed = o.seed;
  front.image_cache_bytes = o.image_cache;
  const tl::run::Script script = tl::run::open_script(std::move(source), front);
  const tl::check::Experiment& exp = script.experiment;
  tl::data::DataStore& store = *script.data;
  if (o.emit == "graph" || o.emit == "grad" || o.emit == "fused" || o.emit == "llvm") {
    emit_graphs(exp, o.emit);
    return 0;
  }
  if (o.emit == "cost") {
    emit_cost(exp, store);
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
  const std::string out_dir = o.out_dir.empty() ? "runs/" + std::filesystem::path(o.file).stem().string() : o.out_dir;
  const bool parallel = comm.size() > 1;
  if (!exp.repeat_seeds.empty() && !o.once) {
    // One process per seed: each run exactly what `tlc run --once --seed S` gives.
    tl::run::RepeatOptions repeat;
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) throw std::runtime_error("cannot find the tlc executable to start the runs");
    repeat.tlc = std::string(self, static_cast<std::size_t>(len));
    repeat.script = o.file;
    repeat.script_text = script.source.text();
    repeat.out_dir = out_dir;
    repeat.seeds = exp.repeat_seeds;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = o.threads > 0 ? o.threads : 1;  // several runs at once, one thread each, unless told
    repeat.jobs = std::max(1, cores / threads);
    repeat.run_args = {"--threads", std::to_string(threads), "--backend", o.backend, "--on-nan", o.on_nan};
    // The runs share the machine's memory: each gets its share of the image cache.
    const std::size_t cache = o.image_cache ? *o.image_cache : tl::data::default_image_cache_bytes() / static_cast<std::size_t>(repeat.jobs);
    repeat.run_args.insert(repeat.run_args.end(), {"--image-cache", std::to_string(cache)});
    if (o.onnx) repeat.run_args.push_back("--onnx");
    repeat.resume = o.resume;
    repeat.should_stop = [] { return interrupted != 0; };
    if (parallel) {
      // A sweep: each process runs every size-th seed, rank 0 the summary.
      repeat.comm = &comm;
      repeat.jobs = std::max(1, repeat.jobs / comm.size());
    }
    std::signal(SIGINT, on_interrupt);
    const int status = tl::run::run_repeats(repeat);
    agreed_exit = true;  // every process ends with this status (an exception above aborts the job)
    return status;
  }
  tl::run::RunOptions run;
  run.out_dir = out_dir;
  std::optional<Scratch> scratch;
  if (parallel) {
    // Sums split between threads round differently: every process must run
    // the same step code, or their weights drift apart.
    const std::string mine = "--backend " + o.backend + " --threads " + std::to_string(tl::run::threads_for(o.backend, o.threads));
    std::vector<std::size_t> lengths;
    const std::vector<char> all = comm.allgather(mine.data(), mine.size(), lengths);
    const std::string first(all.data(), lengths[0]);  // rank 0's
    std::string same;
    for (int r = 0; r < comm.size(); ++r) same += first;
    if (std::string(all.begin(), all.end()) != same)
      throw UsageError("the processes run with different settings (rank 0: " + first + ", this one: " + mine +
                       ")\n  hint: give every process the same, e.g. --threads 1");
    run.comm = &comm;
    if (comm.rank() != 0) scratch.emplace(out_dir, comm.rank(), o.resume);
    tl::dist::barrier(comm);  // copies taken before rank 0 writes
    if (scratch) run.out_dir = scratch->dir, run.shown_out_dir = out_dir;
  }
  run.backend = o.backend;
  run.threads = tl::run::threads_for(o.backend, o.threads);
  run.live = isatty(fileno(stdout)) && comm.rank() == 0;
  run.continue_on_nan = o.on_nan == "continue";
  run.resume = o.resume;
  run.export_onnx = o.onnx;
  run.script_text = script.source.text();
  run.should_stop = [] { return interrupted != 0; };
  std::signal(SIGINT, on_interrupt);
  tl::run::run_experiment(exp, store, script.source, run);
  return 0;
}

}  // namespace

namespace {

/// glibc's malloc hands a freed block of 128 KiB or more back to the kernel
/// and maps it again for the next step's allocation; under a hypervisor each
/// page fault of that is expensive (a data-parallel mnist_cnn step, whose
/// gradients are fresh buffers every step, took 4x longer). tlc keeps the
/// memory it frees for the next step, as other frameworks' caching
/// allocators do: blocks up to glibc's 32 MiB limit come from the heap, and
/// the heap is not trimmed.
void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  tl::dist::World world(argc, argv);
  const tl::dist::Communicator& comm = world.comm();
  CLI::App app{"tlc: run transfer-learning experiments written in .tl"};
  app.set_version_flag("--version", std::string("tlc ") + TL_VERSION);
  app.require_subcommand(1);
  Options o;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("file", o.file, "the .tl script")->required();
    sub->add_option("--seed", o.seed, "override the script's seed");
    sub->add_option("--emit", o.emit,
                    "dump a stage and stop: ast, graph (forward), grad (train step), fused (JIT kernels), llvm "
                    "(optimised IR) or cost (FLOPs per step and per epoch)")
        ->check(CLI::IsMember({"ast", "graph", "grad", "fused", "llvm", "cost"}));
  };
  CLI::App* run = app.add_subcommand("run", "check the script, then run its experiment");
  add_common(run);
  run->add_option("--out", o.out_dir, "output folder (default runs/<script name>)");
  run->add_option("--backend", o.backend, "executor: jit (default) or reference")->check(CLI::IsMember({"reference", "jit"}));
  run->add_option("--threads", o.threads, "worker threads (default: all cores)")->check(CLI::PositiveNumber);
  run->add_flag("--resume", o.resume, "continue an interrupted run from its checkpoint in the --out folder");
  run->add_option("--on-nan", o.on_nan, "when the loss or a weight becomes NaN/Inf: stop (default) or continue")
      ->check(CLI::IsMember({"stop", "continue"}));
  run->add_option("--image-cache", o.image_cache,
                  "memory for each image folder's decoded images, e.g. 512MB or 4GiB (default: a quarter of the "
                  "machine's memory, at most 8 GiB; 0: decode every image each time it is used)")
      ->transform(CLI::AsSizeValue(true));
  run->add_flag("--once", o.once,
                "for a script with a repeat statement: run it once, with the script's seed (or --seed), as each "
                "repeated run does");
  run->add_flag("--onnx", o.onnx, "also write each trained model as NAME.onnx next to NAME.safetensors");
  CLI::App* check = app.add_subcommand("check", "parse and check the script only; no training");
  add_common(check);
  CLI::App* summary = app.add_subcommand("summary", "check the script and print every model's summary");
  add_common(summary);
  CLI::App* exporter = app.add_subcommand("export", "write a model file (NAME.safetensors) as an ONNX file");
  exporter->add_option("model", o.model, "the model file tlc run wrote")->required();
  exporter->add_option("out", o.onnx_out, "the .onnx file to write")->required();
  CLI::App* predictor = app.add_subcommand("predict", "print the class of each image, or of each image in a folder");
  predictor->add_option("model", o.model, "the model file (NAME.safetensors) tlc run wrote")->required();
  predictor->add_option("paths", o.paths, "image files (PNG, JPEG, BMP) and folders of them")->required();
  predictor->add_option("--top", o.top, "list the K best classes of each image (default 1)")->check(CLI::PositiveNumber);
  predictor->add_flag("--skip-bad", o.skip_bad, "skip images that cannot be read (listed on stderr) instead of stopping");
  predictor->add_option("--scale", o.scale, "pixel scale, for a model file without one (1/255 = 0.00392156862745098)");
  predictor->add_option("--offset", o.offset, "pixel offset, for a model file without one");
  predictor->add_option("--backend", o.backend, "executor: jit (default) or reference")->check(CLI::IsMember({"reference", "jit"}));
  predictor->add_option("--threads", o.threads, "worker threads (default: all cores)")->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const std::string command = app.get_subcommands().front()->get_name();
  if (tl::dist::launched_by_mpi() && !tl::dist::mpi_available()) {
    std::fprintf(stderr, "tlc: started by an MPI launcher, but this tlc was built without MPI: every process would run "
                         "the whole experiment into the same folder\n  hint: install libopenmpi-dev and rebuild, or run "
                         "tlc without mpirun\n");
    return 2;
  }
  if (comm.size() > 1 && command != "run") {
    if (comm.rank() == 0)
      std::fprintf(stderr, "tlc %s: only tlc run takes part in an MPI job\n  hint: run tlc %s without mpirun\n",
                   command.c_str(), command.c_str());
    return 2;
  }
  // Rank 0 speaks for the job; another rank's errors are its own, marked.
  if (comm.rank() != 0 && !std::freopen("/dev/null", "w", stdout)) return 3;
  const std::string rank = comm.rank() != 0 ? "[rank " + std::to_string(comm.rank()) + "] " : "";
  int code = 0;
  try {
    code = execute(command, o, comm);
  } catch (...) {
    const tl::dist::AgreedFailure agreed = tl::dist::agreed_failure();
    if (agreed.agreed && !agreed.here) {
      // Another process failed in a data-parallel step and prints its error
      // ("[rank N] ..."); every process stopped with it.
      if (comm.rank() == 0)
        std::fprintf(stderr, "tlc: process %d failed (its error is marked [rank %d]); every process stopped\n",
                     agreed.rank, agreed.rank);
      code = 1;
    } else {
      code = report(std::current_exception(), rank);
    }
  }
  // A failed rank may leave the others inside a collective: end them all,
  // unless they all know (an error in a data-parallel step or evaluation is
  // agreed on: every process throws, see runtime/dist/failure.hpp).
  if (code != 0 && comm.size() > 1 && !agreed_exit && !tl::dist::agreed_failure().agreed) {
    std::fflush(stderr);
    comm.abort(code);
  }
  return code;
}
