//===- Compile.h - moe modules to native code for this CPU -----*- C++ -*-===//
#ifndef MOEC_COMPILER_COMPILE_H
#define MOEC_COMPILER_COMPILE_H

#include "moec/Conversion/MoEToVector.h"
#include "moec/Model/Status.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>

namespace moec {

/// How a module is compiled (see moe-cpu-pipeline's options).
struct CompileOptions {
  bool foldSharedExperts = true;
  /// The fused, vectorised expert kernels; off: moec's unfused lowering.
  bool fuseExperts = true;
  /// Work items on all cores (OpenMP).
  bool parallel = true;
  /// Tiling of the expert kernels; a vectorWidth of 0 means the host's.
  ExpertKernelTiling tiling{/*vectorWidth=*/0};
};

/// Applies a tool flag that selects a CompileOptions field
/// (--no-fold-shared-experts, --unfused, --sequential) to `options`; false
/// if `flag` is not one of them.
bool applyCompileFlag(const std::string &flag, CompileOptions &options);

/// Runs moe-cpu-pipeline on `module`. Diagnostics come back in the Status.
Status lowerToLLVMDialect(mlir::ModuleOp module, const CompileOptions &options);

/// Compiles `module` (moe ops on tensors) for this CPU into the shared
/// library `outputPath`, which exports the module's C interfaces and
/// `moec_signature` = `signature` (a null-terminated string). Links with the
/// system C compiler driver (`cc`) against the OpenMP runtime. The output is
/// written to a temporary file and renamed, so a failure leaves no partial
/// library and an existing file is only replaced by a complete one.
Status compileToSharedLibrary(mlir::ModuleOp module,
                              const CompileOptions &options,
                              const std::string &signature,
                              const std::string &outputPath);

} // namespace moec

#endif // MOEC_COMPILER_COMPILE_H
