// ORC LLJIT wrapper (see jit_engine.hpp): the LLJITBuilder / lookup idiom of
// LLVM's OrcV2Examples, plus an O3 PassBuilder pipeline tuned by the host's
// TargetMachine (so the vectorisers know its vector width). A step's parts are
// optimised and compiled to objects on their own threads, then linked in.
#include "compiler/codegen/jit_engine.hpp"

#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Module.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <optional>
#include <stdexcept>
#include <thread>

namespace tl::codegen {

namespace {

[[noreturn]] void fail(const std::string& what, llvm::Error error) {
  throw std::runtime_error("jit: " + what + ": " + llvm::toString(std::move(error)));
}

template <class T>
T check(const std::string& what, llvm::Expected<T> value) {
  if (!value) fail(what, value.takeError());
  return std::move(*value);
}

/// "+avx2,+fma,-sse4a,..." from the host's feature map.
std::string host_features() {
  std::string out;
  for (const auto& feature : llvm::sys::getHostCPUFeatures())
    out += (out.empty() ? "" : ",") + std::string(feature.second ? "+" : "-") + feature.first().str();
  return out;
}

}  // namespace

struct JitEngine::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::optional<llvm::orc::JITTargetMachineBuilder> builder;  // a TargetMachine per compiling thread
  std::string cpu, features;

  /// The O3 pipeline, tuned for the host by `machine`.
  void optimise(llvm::Module& module, llvm::TargetMachine& machine) const {
    module.setDataLayout(jit->getDataLayout());
    module.setTargetTriple(machine.getTargetTriple().str());
    for (llvm::Function& fn : module) {
      if (fn.isDeclaration()) continue;
      fn.addFnAttr("target-cpu", cpu);
      fn.addFnAttr("target-features", features);
    }
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager sccs;
    llvm::ModuleAnalysisManager modules;
    llvm::PipelineTuningOptions tuning;
    tuning.LoopVectorization = true;
    tuning.SLPVectorization = true;
    llvm::PassBuilder passes(&machine, tuning);
    passes.registerModuleAnalyses(modules);
    passes.registerCGSCCAnalyses(sccs);
    passes.registerFunctionAnalyses(functions);
    passes.registerLoopAnalyses(loops);
    passes.crossRegisterProxies(loops, functions, sccs, modules);
    passes.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, modules);
  }
};

namespace {

/// Turns off LLVM's loop strength reduction for machine code. It took 60% of
/// the machine-code time of a convolution kernel (a loop body addressing
/// hundreds of taps off one induction variable): without it the residual
/// CNN's training step compiles in half the time, and the suite's steps ran
/// within 3% either way (bench/suite models, TL_JIT_PROFILE). The switch is
/// LLVM's own `-disable-lsr` option, process-wide, set once.
void disable_loop_strength_reduction() {
  llvm::StringMap<llvm::cl::Option*>& options = llvm::cl::getRegisteredOptions();
  const auto found = options.find("disable-lsr");
  if (found != options.end()) static_cast<llvm::cl::opt<bool>*>(found->second)->setValue(true);
}

}  // namespace

JitEngine::JitEngine() : impl_(std::make_unique<Impl>()) {
  disable_loop_strength_reduction();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  impl_->cpu = llvm::sys::getHostCPUName().str();
  impl_->features = host_features();
  auto builder = check("detect host", llvm::orc::JITTargetMachineBuilder::detectHost());
  builder.setCPU(impl_->cpu);
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  impl_->builder = builder;
  impl_->jit = check("create LLJIT", llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(builder).create());
  // Kernels call libm (expf, tanhf, exp, log) from the running process.
  impl_->jit->getMainJITDylib().addGenerator(check(
      "process symbols",
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(impl_->jit->getDataLayout().getGlobalPrefix())));
}

JitEngine::~JitEngine() = default;

JitEngine& JitEngine::instance() {
  static JitEngine engine;
  return engine;
}

std::string JitEngine::cpu() const { return impl_->cpu; }

int JitEngine::vector_width() const {
  const llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  const auto has = [&](const char* name) { return features.lookup(name); };
  return has("avx512f") ? 16 : has("avx") ? 8 : 4;
}

void JitEngine::optimise(llvm::Module& module) {
  const std::unique_ptr<llvm::TargetMachine> machine = check("target machine", impl_->builder->createTargetMachine());
  impl_->optimise(module, *machine);
}

void* JitEngine::compile(std::vector<StepModule> parts, const std::string& entry) {
  // 1. O3 and machine code, part by part on their own threads (LLVM contexts
  //    and TargetMachines are per thread).
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects(parts.size());
  std::vector<std::string> errors(parts.size());
  auto work = [&](std::size_t i) {
    try {
      const std::unique_ptr<llvm::TargetMachine> machine = check("target machine", impl_->builder->createTargetMachine());
      impl_->optimise(*parts[i].module, *machine);
      llvm::orc::SimpleCompiler compiler(*machine);
      objects[i] = check("machine code", compiler(*parts[i].module));
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < parts.size(); ++i) threads.emplace_back(work, i);
  work(0);
  for (std::thread& t : threads) t.join();
  for (const std::string& error : errors)
    if (!error.empty()) throw std::runtime_error(error);
  // 2. Link the objects into the JIT.
  for (auto& object : objects)
    if (llvm::Error error = impl_->jit->addObjectFile(std::move(object))) fail("add object", std::move(error));
  return lookup(entry);
}

void* JitEngine::lookup(const std::string& name) {
  return check("lookup " + name, impl_->jit->lookup(name)).toPtr<void*>();
}

}  // namespace tl::codegen
