//===- CompiledModule.h - calling compiled moec functions ------*- C++ -*-===//
//
// Compiled moec modules export, for each function of their ModuleSpec, a
// packed entry point `moec_call_<function>(void **arguments)`: argument i
// points to operand i's memref descriptor, or to an int64 for an index.
// Functions write their results into Output and InOut operands (the caller
// owns every buffer), so calls never allocate results.
//
// A module comes from the JIT (moec/Compiler/CPUJit.h) or from an
// ahead-of-time shared library (loadSharedLibraryModule); the runtime calls
// both the same way.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_COMPILEDMODULE_H
#define MOEC_RUNTIME_COMPILEDMODULE_H

#include "moec/Runtime/ModuleSpec.h"
#include "moec/Support/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moec {

/// The symbol holding a module's signature (ModuleSpec::signature()).
inline constexpr const char *kSignatureSymbol = "moec_signature";
/// The symbol of a GPU module naming the GPU architecture of its kernels
/// (e.g. "sm_90"); CPU modules have none.
inline constexpr const char *kGPUArchSymbol = "moec_gpu_arch";
/// The prefix of packed entry points: moec_call_<function>.
inline constexpr const char *kEntryPointPrefix = "moec_call_";

using PackedFunction = void (*)(void **arguments);

class CompiledModule {
public:
  virtual ~CompiledModule();
  /// The ModuleSpec signature the module was compiled for.
  virtual const std::string &signature() const = 0;
  /// The packed entry point of `function`.
  virtual StatusOr<PackedFunction>
  lookup(const std::string &function) const = 0;
  /// "module FILE" or "the JIT-compiled module", for messages.
  virtual std::string describe() const = 0;
  /// Makes the calling thread's later calls into the module run on
  /// `threads` threads (OpenMP's per-thread setting; no-op for code
  /// compiled without threads).
  virtual void setThreads(int threads) const;

  /// The GPU architecture of a module whose code runs on a CUDA GPU
  /// ("sm_90"), or "" for CPU code. A GPU module's functions take device
  /// memory (moec/Runtime/GPURuntime.h) for every buffer operand.
  virtual std::string gpuArch() const { return ""; }
  /// An error unless the module was compiled for `spec`.
  Status checkSignature(const ModuleSpec &spec) const;
};

/// dlopens an ahead-of-time module written by moe-compile; errors name the
/// file.
StatusOr<std::unique_ptr<CompiledModule>>
loadSharedLibraryModule(const std::string &path);

/// One argument of a call: a buffer (data + shape, row-major and
/// contiguous) or an index value.
struct Argument {
  const void *data = nullptr;
  std::vector<int64_t> shape;
  int64_t index = 0;

  static Argument buffer(const void *data, std::vector<int64_t> shape) {
    return {data, std::move(shape), 0};
  }
  static Argument indexValue(int64_t value) { return {nullptr, {}, value}; }
};

/// Calls `entry`, the entry point of `function`, after checking `arguments`
/// against its operands (count, ranks, static sizes); a mismatch is an
/// error naming the operand, not a call.
Status invoke(PackedFunction entry, const FunctionSpec &function,
              const std::vector<Argument> &arguments);

} // namespace moec

#endif // MOEC_RUNTIME_COMPILEDMODULE_H
