// The process-wide ORC LLJIT for the host CPU, and the O3 pipeline that
// prepares modules for it. The only file that includes ORC, pass-builder and
// target headers is jit_engine.cpp; this header only forward-declares LLVM.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace tl::codegen {

/// One LLVM module of a step, with its own context so the parts of a step
/// can be optimised and compiled on different threads.
struct StepModule {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
};

class JitEngine {
 public:
  /// The engine, created on first use (native target initialised, host CPU
  /// detected). Throws std::runtime_error if LLVM cannot target the host.
  static JitEngine& instance();

  /// Gives `module` the host's triple, data layout, CPU and features, then runs
  /// the new pass manager's O3 pipeline on it.
  void optimise(llvm::Module& module);

  /// Optimises and compiles the parts of a step to machine code, one thread
  /// per part, links them into the JIT and returns the address of `entry`.
  void* compile(std::vector<StepModule> parts, const std::string& entry);

  /// The address of a function of a module already added.
  void* lookup(const std::string& name);

  /// Floats per vector register: 16 with AVX-512, 8 with AVX, else 4.
  int vector_width() const;

  /// "sapphirerapids" and the like.
  std::string cpu() const;

  ~JitEngine();
  JitEngine(const JitEngine&) = delete;
  JitEngine& operator=(const JitEngine&) = delete;

 private:
  JitEngine();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tl::codegen
