// Running a repeated experiment (`repeat 5` in a script): one complete run
// per seed, each a `tlc run FILE --once --seed S --out DIR/seed-S` process
// of its own (so each is exactly what that command alone gives, and a crash
// stays in its run), several at a time on the machine's cores. Each run's
// console output goes to DIR/seed-S/log.txt. When all are done, their
// results are folded into DIR/results.json and DIR/repeats.csv and printed
// (report/repeats.hpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "runtime/dist/communicator.hpp"

namespace tl::run {

struct RepeatOptions {
  std::string tlc;                 ///< the tlc executable the runs use
  std::string script;              ///< the script's path, as given
  std::string script_text;         ///< its text: a finished run of another text is not kept by --resume
  std::string out_dir;
  std::vector<std::uint64_t> seeds;
  int jobs = 1;                    ///< runs at a time
  std::vector<std::string> run_args;  ///< passed to every run (--threads, --backend, --image-cache, --on-nan, --onnx)
  bool resume = false;             ///< runs that finished are kept; the others resume or start again
  std::FILE* out = stdout;
  /// Polled while waiting: stop starting runs, and pass the interrupt on to
  /// the running ones (each in a process group of its own, so the terminal's
  /// Ctrl-C reaches them only this way; each stops after its current step,
  /// resumable).
  std::function<bool()> should_stop;
  /// A sweep over an MPI job's processes: this process runs the seeds at
  /// positions rank, rank + size, ... (each a child process as above, with
  /// no MPI of its own), then rank 0 folds every seed's results into the
  /// summary. The run folder must be one the processes share. Null: all here.
  const dist::Communicator* comm = nullptr;
};

/// Runs the seeds and writes the aggregate. Returns 0 when every run
/// finished, 1 when one failed (naming it and its log), 130 when stopped;
/// in a sweep, the same on every process.
int run_repeats(const RepeatOptions& options);

}  // namespace tl::run
