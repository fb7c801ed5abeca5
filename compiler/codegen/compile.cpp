// Plan -> LLVM IR -> O3 -> ORC, behind a process-wide cache (compile.hpp).
#include "compiler/codegen/compile.hpp"

#include <llvm/Support/raw_ostream.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "compiler/codegen/batch_axis.hpp"
#include "compiler/codegen/emit_step.hpp"
#include "compiler/codegen/graph_key.hpp"
#include "compiler/codegen/jit_engine.hpp"

namespace tl::codegen {

namespace {

/// With TL_JIT_PERFMAP set, lists the step's functions in /tmp/perf-PID.map
/// so `perf report` can name the JIT-compiled kernels.
void write_perf_map(JitEngine& engine, const std::vector<std::string>& names) {
  if (!std::getenv("TL_JIT_PERFMAP")) return;
  std::vector<std::pair<std::uintptr_t, std::string>> symbols;
  for (const std::string& name : names) symbols.emplace_back(reinterpret_cast<std::uintptr_t>(engine.lookup(name)), name);
  std::sort(symbols.begin(), symbols.end());
  std::FILE* map = std::fopen(("/tmp/perf-" + std::to_string(getpid()) + ".map").c_str(), "a");
  if (!map) return;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const std::uintptr_t end = i + 1 < symbols.size() ? symbols[i + 1].first : symbols[i].first + 4096;
    std::fprintf(map, "%lx %lx %s\n", static_cast<unsigned long>(symbols[i].first),
                 static_cast<unsigned long>(std::min<std::uintptr_t>(end - symbols[i].first, 65536)), symbols[i].second.c_str());
  }
  std::fclose(map);
}

struct CompiledSteps {
  std::mutex mutex;
  std::unordered_map<GraphKey, std::shared_ptr<const CompiledStep>, GraphKeyHash> steps;
  CompileStats stats;
};

CompiledSteps& compiled_steps() {
  static CompiledSteps cache;
  return cache;
}

/// The cache key: the graph's structure and how its feeds arrive.
GraphKey step_key(const ir::Graph& graph, const StepOptions& options) {
  GraphKey key = graph_key(graph);
  key.words.push_back(options.byte_images ? 1 : 0);
  key.hash = key.hash * 0x9E3779B97F4A7C15ull + (options.byte_images ? 1 : 0);
  return key;
}

/// The cached step that serves `graph`, or null. Pre: the cache is locked.
std::shared_ptr<const CompiledStep> cached(CompiledSteps& cache, const GraphKey& key, const ir::Graph& graph) {
  const auto found = cache.steps.find(key);
  if (found != cache.steps.end() && (found->second->plan.batched.empty() || batch_of(graph) <= found->second->plan.batch))
    return found->second;
  return nullptr;
}

}  // namespace

std::shared_ptr<const CompiledStep> find_step(const ir::Graph& graph, const StepOptions& options) {
  CompiledSteps& cache = compiled_steps();
  const GraphKey key = step_key(graph, options);
  std::lock_guard<std::mutex> lock(cache.mutex);
  return cached(cache, key, graph);
}

std::shared_ptr<const CompiledStep> compile_step(const ir::Graph& graph, const StepOptions& options) {
  GraphKey key = step_key(graph, options);
  CompiledSteps& cache = compiled_steps();
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (auto step = cached(cache, key, graph)) {
    ++cache.stats.reused;
    return step;
  }
  const auto start = std::chrono::steady_clock::now();
  auto step = std::make_shared<CompiledStep>();
  step->plan = plan_step(graph, options);
  const std::string entry = "tl_step_" + std::to_string(cache.stats.compiled);
  JitEngine& engine = JitEngine::instance();
  // Parts compile on their own threads: one per core, fewer for small steps.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int parts = std::clamp(static_cast<int>(step->plan.passes.size() / 8), 1, cores);
  std::vector<StepModule> modules = build_step_modules(graph, step->plan, entry, engine.vector_width(), parts);
  std::vector<std::string> names;
  for (const StepModule& part : modules)
    for (const llvm::Function& fn : *part.module)
      if (!fn.isDeclaration() && !fn.hasLocalLinkage()) names.push_back(fn.getName().str());
  step->fn = reinterpret_cast<StepFn>(engine.compile(std::move(modules), entry));
  write_perf_map(engine, names);
  step->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++cache.stats.compiled;
  cache.stats.seconds += step->seconds;
  cache.steps[std::move(key)] = step;  // a larger batch replaces a smaller one
  return step;
}

std::string optimised_ir(const ir::Graph& graph, const StepOptions& options) {
  const StepPlan plan = plan_step(graph, options);
  JitEngine& engine = JitEngine::instance();
  std::vector<StepModule> modules = build_step_modules(graph, plan, "tl_step", engine.vector_width(), 1);
  engine.optimise(*modules.front().module);
  std::string text;
  llvm::raw_string_ostream os(text);
  modules.front().module->print(os, nullptr);
  return os.str();
}

CompileStats compile_stats() {
  CompiledSteps& cache = compiled_steps();
  std::lock_guard<std::mutex> lock(cache.mutex);
  return cache.stats;
}

}  // namespace tl::codegen
