//===- Compile.h - moe modules to native code for this CPU -----*- C++ -*-===//
#ifndef MOEC_COMPILER_COMPILE_H
#define MOEC_COMPILER_COMPILE_H

#include "moec/Pipelines/CPUPipelineConfig.h"
#include "moec/Runtime/CompiledModule.h"
#include "moec/Runtime/ModuleSpec.h"
#include "moec/Support/Status.h"
#include "moec/Target/CPUTarget.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace mlir {
class MLIRContext;
class PassManager;
} // namespace mlir

namespace moec {

/// How a module is compiled: moe-cpu-pipeline's choices, and progress.
struct CompileOptions : CPUPipelineConfig {
  /// Called with (steps done, steps in all) as compilation advances: the
  /// passes of the pipeline, then LLVM's optimisation and code generation.
  std::function<void(int64_t, int64_t)> progress;
};

/// The weight layout that code compiled with `options` reads: the MLP
/// blocks' matrices in panels of one vector for the fused kernels, as
/// stored for the unfused lowering. Derive specs with it.
StatusOr<WeightLayout> weightLayoutFor(const CompileOptions &options);

/// LLVM's code generator for `target` (position-independent code).
StatusOr<std::unique_ptr<llvm::TargetMachine>>
targetMachineFor(const CPUTarget &target);

/// A context with every dialect and interface moec's pipelines need.
std::unique_ptr<mlir::MLIRContext> makeCompilerContext();

/// Runs `pm` on `module`; on failure, an error "`what` failed:" followed by
/// the diagnostics, one per line with their locations.
Status runPipeline(mlir::PassManager &pm, mlir::ModuleOp module,
                   const std::string &what);

/// Runs moe-cpu-pipeline on `module`. Diagnostics come back in the Status.
/// `steps`, if given, receives the number of progress steps of the whole
/// compilation (the pipeline's passes and the code generation after it).
Status lowerToLLVMDialect(mlir::ModuleOp module, const CompileOptions &options,
                          int64_t *steps = nullptr);

/// Compiles `module` (moe ops on tensors) for this CPU into the shared
/// library `outputPath`, which exports the module's packed entry points
/// (moec/Runtime/CompiledModule.h) and `moec_signature` = `signature` (a
/// null-terminated string). Links with the system C compiler driver (`cc`)
/// against the OpenMP runtime, and seals the library with its digest
/// (moec/Runtime/ModuleFile.h). The output is written to a temporary file and
/// renamed, so a failure leaves no partial library and an existing file is
/// only replaced by a complete one.
Status compileToSharedLibrary(mlir::ModuleOp module,
                              const CompileOptions &options,
                              const std::string &signature,
                              const std::string &outputPath);

/// Translates `module` (the LLVM dialect, with whatever it embeds, e.g. a
/// gpu.binary) to LLVM IR, optimises it and generates code for `target`,
/// adds each (symbol, value) of `strings` as a null-terminated string, and
/// links the shared library `outputPath` with `cc` (against the OpenMP
/// runtime if `openMP`), sealed, written atomically. `progress` is called
/// with 1 after optimisation and 2 after code generation.
Status writeSharedLibrary(
    mlir::ModuleOp module, const CPUTarget &target,
    const std::vector<std::pair<std::string, std::string>> &strings,
    bool openMP, const std::string &outputPath,
    const std::function<void(int64_t)> &progress = nullptr);

/// Builds the module of `spec` (buildModule) and JIT-compiles it for this
/// CPU (compileForThisCPU).
StatusOr<std::unique_ptr<CompiledModule>>
compileModule(const ModuleSpec &spec, const CompileOptions &options);

/// Builds the module of `spec` and writes it ahead of time to `outputPath`
/// (compileToSharedLibrary), with spec.signature().
Status compileModuleToFile(const ModuleSpec &spec,
                           const CompileOptions &options,
                           const std::string &outputPath);

/// The module of `spec` as MLIR text (moe ops on tensors, before any pass).
std::string printModule(const ModuleSpec &spec);

} // namespace moec

#endif // MOEC_COMPILER_COMPILE_H
