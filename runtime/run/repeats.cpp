// Running the seeds of a repeated experiment; see repeats.hpp.
#include "runtime/run/repeats.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/report/html.hpp"
#include "runtime/run/checkpoint.hpp"
#include "runtime/report/repeat_charts.hpp"
#include "runtime/report/repeats.hpp"

extern char** environ;

namespace tl::run {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string folder_of(std::uint64_t seed) { return "seed-" + std::to_string(seed); }

/// The run's results.json, or null when it has none (or it does not parse).
nlohmann::json read_results(const std::string& dir) {
  std::ifstream in(dir + "/results.json");
  if (!in) return nullptr;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

/// This process's environment without an MPI launcher's variables: a run
/// started from a process of an MPI job is a process of its own.
std::vector<char*> child_environment() {
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    const std::string v = *e;
    const bool mpi = v.rfind("OMPI_", 0) == 0 || v.rfind("PMIX_", 0) == 0 || v.rfind("PMI_", 0) == 0 ||
                     v.rfind("MPI_LOCALNRANKS=", 0) == 0 || v.rfind("MPI_LOCALRANKID=", 0) == 0;
    if (!mpi) env.push_back(*e);
  }
  env.push_back(nullptr);
  return env;
}

/// Starts `args` with stdout and stderr to `log`; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // A process group of its own: a Ctrl-C at the terminal reaches only the
  // repeating process, which passes one interrupt on to each run (two would
  // kill a run in the middle of a step).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  std::vector<char*> env = child_environment();
  const int err = posix_spawn(&pid, args[0].c_str(), &actions, &attributes, argv.data(), env.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(err));
  return pid;
}

/// The last `lines` lines of a file, for a failed run's message.
std::string tail(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "    " + all[i] + "\n";
  return out;
}

}  // namespace

/// Removes the figures over the seeds a previous repeat wrote in `dir`: a
/// run that fails must not leave them to contradict its seeds' results.
void remove_aggregate(const std::string& dir) {
  std::error_code ec;
  for (const char* name : {"results.json", "repeats.csv", "report.html"}) fs::remove(fs::path(dir) / name, ec);
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("compare-", 0) == 0 && entry.path().extension() == ".svg") fs::remove(entry.path(), ec);
  }
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "charts", ec)) {  // only the charts' own sources
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (name.rfind("compare-", 0) == 0 && (ext == ".gp" || ext == ".dat")) fs::remove(entry.path(), ec);
  }
}

int run_repeats(const RepeatOptions& o) {
  const int rank = o.comm ? o.comm->rank() : 0, processes = o.comm ? o.comm->size() : 1;
  if (rank == 0) {
    fs::create_directories(o.out_dir);
    remove_aggregate(o.out_dir);
  }
  if (o.comm) dist::barrier(*o.comm);  // the folder is there before anyone writes into it
  std::vector<std::uint64_t> mine;  // the seeds this process runs
  for (std::size_t i = 0; i < o.seeds.size(); ++i)
    if (static_cast<int>(i % static_cast<std::size_t>(processes)) == rank) mine.push_back(o.seeds[i]);
  std::string seed_list;
  for (const auto s : o.seeds) seed_list += (seed_list.empty() ? "" : ", ") + std::to_string(s);
  std::fprintf(o.out, "Repeating %s over %zu seeds (%s), %d at a time%s; each run's output is in %s/seed-N/log.txt\n",
               o.script.c_str(), o.seeds.size(), seed_list.c_str(), o.jobs,
               processes > 1 ? (" in each of " + std::to_string(processes) + " processes").c_str() : "", o.out_dir.c_str());
  std::fflush(o.out);

  struct Running {
    std::uint64_t seed;
    Clock::time_point start;
  };
  std::map<pid_t, Running> running;
  std::vector<std::uint64_t> failed;
  bool stopped = false, passed_on = false;
  // Waits for a run to end, polling: an interrupt of this process alone (not
  // of the terminal's whole group) is passed on to the runs, which stop after
  // their current step.
  auto wait_one = [&] {
    int status = 0;
    pid_t pid = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) == 0 || (pid < 0 && errno == EINTR)) {
      if (!passed_on && o.should_stop && o.should_stop()) {
        passed_on = stopped = true;
        for (const auto& [child, run] : running) kill(child, SIGINT);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid < 0) throw std::runtime_error(std::string("waiting for a run: ") + std::strerror(errno));
    const Running r = running.at(pid);
    running.erase(pid);
    const double seconds = std::chrono::duration<double>(Clock::now() - r.start).count();
    const std::string dir = o.out_dir + "/" + folder_of(r.seed);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      std::fprintf(o.out, "  seed %llu: done in %.1f s\n", static_cast<unsigned long long>(r.seed), seconds);
    } else {
      const bool interrupted = (WIFEXITED(status) && WEXITSTATUS(status) == 130) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
      stopped = stopped || interrupted;
      failed.push_back(r.seed);
      std::fprintf(o.out, "  seed %llu: %s after %.1f s; the end of %s/log.txt:\n%s",
                   static_cast<unsigned long long>(r.seed), interrupted ? "interrupted" : "failed", seconds, dir.c_str(),
                   tail(dir + "/log.txt", 6).c_str());
    }
    std::fflush(o.out);
  };

  try {
    for (const std::uint64_t seed : mine) {
      const std::string dir = o.out_dir + "/" + folder_of(seed);
      bool resume = o.resume;
      if (o.resume) {
        const nlohmann::json done = read_results(dir);
        const bool same_script = done.is_object() && done.value("script_key", "") == checkpoint_key(o.script_text, seed);
        if (done.is_object() && !same_script) {
          // Finished or not, it ran another script text: start it again.
          std::fprintf(o.out, "  seed %llu: the script changed since it ran; running it again\n",
                       static_cast<unsigned long long>(seed));
          resume = false;
        } else if (done.is_object() && done.value("status", "") == "ok") {
          std::fprintf(o.out, "  seed %llu: finished before\n", static_cast<unsigned long long>(seed));
          continue;
        }
      }
      while (static_cast<int>(running.size()) >= o.jobs) wait_one();
      if (stopped || (o.should_stop && o.should_stop())) {
        stopped = true;
        break;
      }
      fs::create_directories(dir);
      std::vector<std::string> args = {o.tlc, "run", o.script, "--once", "--seed", std::to_string(seed), "--out", dir};
      args.insert(args.end(), o.run_args.begin(), o.run_args.end());
      if (resume && fs::exists(dir + "/checkpoint")) args.push_back("--resume");
      running[spawn(args, dir + "/log.txt")] = {seed, Clock::now()};
    }
    while (!running.empty()) wait_one();
  } catch (...) {
    // No run outlives this one: stop and reap the rest before reporting.
    for (const auto& [child, run] : running) kill(child, SIGTERM);
    for (const auto& [child, run] : running) waitpid(child, nullptr, 0);
    throw;
  }
  if (o.comm && processes > 1) {
    // Every process's outcome, so that all of them end alike.
    std::vector<std::uint64_t> all_failed = dist::gather_all(*o.comm, failed);
    std::vector<double> flags = {stopped ? 1.0 : 0.0};
    dist::sum_in_rank_order(*o.comm, flags);
    failed = std::move(all_failed);
    stopped = flags[0] > 0;
  }
  if (stopped) {
    std::fprintf(o.out, "stopped; finish the runs with the same command and --resume\n");
    return 130;
  }
  if (!failed.empty()) {
    std::string list;
    for (const auto s : failed) list += (list.empty() ? "" : ", ") + std::to_string(s);
    std::fprintf(o.out, "%zu of %zu runs failed (seed %s; each one's log: %s/seed-N/log.txt); no figures over the seeds were written\n",
                 failed.size(), o.seeds.size(), list.c_str(), o.out_dir.c_str());
    return 1;
  }
  if (rank != 0) return 0;  // rank 0 writes the summary

  std::vector<report::SeedRun> runs;
  for (const std::uint64_t seed : o.seeds)
    runs.push_back({seed, folder_of(seed), read_results(o.out_dir + "/" + folder_of(seed))});
  nlohmann::json results;
  try {
    results = report::aggregate_repeats(runs);
  } catch (const std::exception& e) {
    std::fprintf(o.out, "cannot give figures over the seeds: %s; every run's results are in %s/seed-N/\n", e.what(),
                 o.out_dir.c_str());
    return 1;
  }
  results["script"] = o.script;
  results["status"] = "ok";
  const std::string path = o.out_dir + "/results.json";
  std::ofstream(path) << results.dump(2) << "\n";
  std::ofstream(o.out_dir + "/repeats.csv") << report::render_repeats_csv(results);
  std::vector<report::ChartFiles> charts;
  for (std::size_t c = 0; c < results["comparisons"].size(); ++c) {
    charts.push_back(report::write_repeat_charts(results["comparisons"][c], o.out_dir, "compare-" + std::to_string(c + 1)));
    if (!charts.back().error.empty()) std::fprintf(o.out, "warning: %s\n", charts.back().error.c_str());
  }
  std::ofstream(o.out_dir + "/report.html") << report::render_repeats_html(o.script, results, charts);
  std::fprintf(o.out, "\n%s", report::render_repeats(results).c_str());
  std::fprintf(o.out, "results: %s, report: %s/report.html (every seed's run: %s/seed-N/)\n", path.c_str(),
               o.out_dir.c_str(), o.out_dir.c_str());
  std::fflush(o.out);
  return 0;
}

}  // namespace tl::run
