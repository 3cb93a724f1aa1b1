//===- CompileGPU.h - moe modules to PTX and cubins ------------*- C++ -*-===//
#ifndef MOEC_COMPILER_COMPILEGPU_H
#define MOEC_COMPILER_COMPILEGPU_H

#include "moec/Pipelines/GPUPipeline.h"
#include "moec/Runtime/ModuleSpec.h"
#include "moec/Support/Status.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace moec {

/// Runs moe-gpu-pipeline on `module` (moe ops on tensors) with
/// `config.format` = isa and returns the PTX of its kernels: one module, for
/// `config.chip`. Diagnostics come back in the Status.
StatusOr<std::string> compileToPTX(mlir::ModuleOp module,
                                   GPUPipelineConfig config);

/// Builds the module of `spec` (an MLP block) and returns its PTX.
StatusOr<std::string> compileModuleToPTX(const ModuleSpec &spec,
                                         const GPUPipelineConfig &config);

/// Builds the module of `spec` and writes it ahead of time to `outputPath`:
/// a sealed shared library whose host code (for any x86-64) launches the
/// kernels of an embedded cubin for `config.chip` through the mgpu*
/// functions of moec's runtime (moec/Runtime/GPURuntime.h). It exports the
/// module's packed entry points, `moec_signature` and `moec_gpu_arch`.
Status compileModuleForGPUToFile(const ModuleSpec &spec,
                                 GPUPipelineConfig config,
                                 const std::string &outputPath);

} // namespace moec

#endif // MOEC_COMPILER_COMPILEGPU_H
