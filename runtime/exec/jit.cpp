// The JIT executor's run: compile (or reuse) the step, bind its leaves, run
// it on the worker pool, then read the outputs and commit the effects that
// were not already written in place (see jit.hpp; binding in jit_binding.cpp).
#include "runtime/exec/jit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

#if defined(__SSE__)
#include <immintrin.h>
#endif

#include "compiler/codegen/batch_axis.hpp"
#include "compiler/codegen/compile.hpp"
#include "compiler/ir/optimizer.hpp"
#include "runtime/exec/jit_binding.hpp"
#include "runtime/exec/jit_profile.hpp"
#include "runtime/exec/jit_threads.hpp"

namespace tl::exec {

using codegen::StorageKind;
using ir::NodeId;
using ir::OpKind;

namespace {

/// 64-byte aligned bytes that only grow.
struct Bytes {
  std::unique_ptr<char[]> storage;
  char* data = nullptr;
  std::int64_t size = 0;
  char* ensure(std::int64_t bytes) {
    if (bytes > size) {
      storage = std::make_unique<char[]>(static_cast<std::size_t>(bytes + 64));
      data = storage.get() + (64 - reinterpret_cast<std::uintptr_t>(storage.get()) % 64) % 64;
      size = bytes;
    }
    return data;
  }
};

/// Runs the step on one thread with denormals flushed to zero (FTZ and DAZ,
/// as TensorFlow runs on CPU): optimizer moments of weights whose gradient
/// is zero decay into subnormals, which cost ~100 cycles per operation. The
/// values involved are below 1e-37. The caller's mode is restored after.
struct Job {
  codegen::StepFn fn;
  const codegen::StepArgs* args;
  static void call(void* self, int tid) {
    const auto* job = static_cast<Job*>(self);
#if defined(__SSE__)
    const unsigned mode = _mm_getcsr();
    _mm_setcsr(mode | 0x8040);  // flush-to-zero | denormals-are-zero
    job->fn(job->args, tid);
    _mm_setcsr(mode);
#else
    job->fn(job->args, tid);
#endif
  }
};

}  // namespace

struct JitExecutor::Impl {
  Impl(int n, std::int64_t min_work) : threads(std::max(1, n)), min_parallel_work(min_work), pool(threads) {}
  int threads;
  std::int64_t min_parallel_work;
  WorkerPool pool;
  SpinBarrier barrier;
  Bytes arena, scratch;
  Binding binding;
  std::vector<std::int32_t> status;
  std::vector<float> scalars;
  bool profiling = false;
  std::map<const codegen::CompiledStep*, PassProfile> profiles;
};

JitExecutor::JitExecutor(int threads, std::int64_t min_parallel_work)
    : impl_(std::make_unique<Impl>(threads, min_parallel_work)) {
  impl_->profiling = std::getenv("TL_JIT_PROFILE") != nullptr;
}

JitExecutor::~JitExecutor() {
  for (const auto& [step, profile] : impl_->profiles)  // TL_JIT_PROFILE: per-pass cycles of every step run
    std::fprintf(stderr, "jit profile:\n%s", profile.report().c_str());
  if (std::getenv("TL_JIT_STATS")) {
    const codegen::CompileStats s = codegen::compile_stats();
    std::fprintf(stderr, "jit: %d step graphs compiled in %.3f s, %d reused\n", s.compiled, s.seconds, s.reused);
  }
}

int JitExecutor::threads() const { return impl_->threads; }

void JitExecutor::set_profiling(bool on) { impl_->profiling = on; }

std::string JitExecutor::profile_report(const ir::Graph& graph) const {
  std::string report;
  for (const bool bytes : {false, true}) {  // the steps of float and of byte feeds
    const auto step = codegen::find_step(graph, {bytes});
    const auto found = step ? impl_->profiles.find(step.get()) : impl_->profiles.end();
    if (found != impl_->profiles.end()) report += found->second.report();
  }
  return report;
}

double JitExecutor::compile_seconds() const { return codegen::compile_stats().seconds; }

std::unordered_map<std::string, Tensor> JitExecutor::run(const ir::Graph& graph, Variables& vars, const Feeds& feeds,
                                                         const StepContext& ctx) {
  Impl& m = *impl_;
  const std::shared_ptr<const codegen::CompiledStep> step = codegen::compile_step(graph, {feeds.image_bytes != nullptr});
  const codegen::StepPlan& plan = step->plan;

  // 1. Leaves, and the labels the losses will index with.
  m.binding.bind(graph, plan, vars, feeds);
  check_labels(graph, plan, m.binding);

  // 2. Per-run values: the updates' step scalars (Adam's bias-corrected rate), as the reference computes them.
  m.scalars.assign(static_cast<std::size_t>(plan.scalar_count), 0.0f);
  for (std::size_t i = 0; i < graph.size(); ++i)
    if (const int s = plan.scalar_of[i]; s >= 0) {
      const ir::Node& n = graph.node(static_cast<NodeId>(i));
      const std::array<float, 2> values = ir::step_scalars(n.op, n.attrs, ctx.step, ctx.lr_scale);
      for (int k = 0; k < ir::step_scalar_count(n.op, n.attrs); ++k)
        m.scalars[static_cast<std::size_t>(s + k)] = values[static_cast<std::size_t>(k)];
    }
  if (plan.image_scale >= 0) {  // the pixel map of a byte-fed batch
    m.scalars[static_cast<std::size_t>(plan.image_scale)] = feeds.image_bytes->scale;
    m.scalars[static_cast<std::size_t>(plan.image_offset)] = feeds.image_bytes->offset;
  }

  // 3. Run on every thread when the step is large enough.
  // A batch-generic step may run fewer rows than it was compiled for.
  const std::int64_t batch = codegen::batch_of(graph);
  const std::int64_t work = plan.batched.empty() || plan.batch == 0 ? plan.work : plan.work / plan.batch * batch;
  const int threads = work >= m.min_parallel_work ? m.threads : 1;
  m.status.assign(static_cast<std::size_t>(threads * codegen::kStatusWords), 0);
  m.barrier.reset(threads);
  codegen::StepArgs args;
  args.tensors = m.binding.tensors.data();
  args.arena = m.arena.ensure(plan.arena_bytes);
  args.scratch = m.scratch.ensure(plan.scratch_stride * threads);
  args.scratch_stride = plan.scratch_stride;
  args.threads = threads;
  args.barrier = &SpinBarrier::call;
  args.barrier_state = &m.barrier;
  args.seed = ctx.seed;
  args.step = ctx.step;
  args.scalars = m.scalars.data();
  args.status = m.status.data();
  args.batch = batch;
  args.row_offset = static_cast<std::int64_t>(ctx.row_offset);
  args.process_mean = [](void* state, const float* in, float* out, std::int64_t n) {
    process_mean(static_cast<StepCollectives*>(state), in, out, static_cast<std::size_t>(n));
  };
  args.process_state = ctx.collectives;
  if (m.profiling) {
    PassProfile& profile = m.profiles[step.get()];
    if (profile.labels.empty())
      for (std::size_t p = 0; p < plan.passes.size(); ++p) profile.labels.push_back(codegen::pass_label(plan, graph, p));
    profile.cycles.resize(plan.passes.size());
    ++profile.runs;
    args.profile = profile.cycles.data();
  }
  Job job{step->fn, &args};
  if (threads == 1)
    Job::call(&job, 0);
  else
    m.pool.run(&Job::call, &job);
  for (int t = 0; t < threads; ++t) {
    const std::int32_t* s = m.status.data() + t * codegen::kStatusWords;
    if (s[0] != 0)
      throw std::runtime_error(fmt::format("label {} of batch row {} is not a class index in [0, {})",
                                           std::bit_cast<float>(s[2]), s[1], s[3]));
  }

  // 4. Outputs, then the effects not written in place.
  auto address = [&](const codegen::Storage& s) -> const float* {
    if (s.kind == StorageKind::Leaf && s.leaf == plan.byte_leaf)
      throw std::logic_error("jit: a step output is its byte-fed images");  // no step graph returns its input
    if (s.kind == StorageKind::Leaf) return m.binding.tensors[static_cast<std::size_t>(s.leaf)];
    return reinterpret_cast<const float*>(args.arena + s.offset);
  };
  auto copy_to = [&](Tensor& t, const ir::Shape& shape, const float* from) {
    t.resize(std::vector<std::size_t>(shape.begin(), shape.end()));
    std::memcpy(t.data(), from, t.size() * sizeof(float));
  };
  std::unordered_map<std::string, Tensor> results;
  for (const auto& [name, id] : graph.outputs()) copy_to(results[name], graph.node(id).shape, address(plan.where(id)));
  for (NodeId id : graph.effects()) {
    const ir::Node& n = graph.node(id);
    if (plan.where(id).kind == StorageKind::Arena)
      copy_to(vars.tensors[graph.node(n.inputs[0]).name], n.shape, address(plan.where(id)));
    const auto& slots = plan.new_slots[static_cast<std::size_t>(id)];
    for (std::size_t s = 0; s < slots.size(); ++s)
      if (slots[s].kind == StorageKind::Arena) copy_to(vars.tensors[graph.node(n.inputs[2 + s]).name], n.shape, address(slots[s]));
  }
  return results;
}

}  // namespace tl::exec
