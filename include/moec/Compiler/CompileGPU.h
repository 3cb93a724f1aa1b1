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

} // namespace moec

#endif // MOEC_COMPILER_COMPILEGPU_H
