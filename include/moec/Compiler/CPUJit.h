//===- CPUJit.h - compile moe modules for the host and run them -*- C++ -*-===//
#ifndef MOEC_COMPILER_CPUJIT_H
#define MOEC_COMPILER_CPUJIT_H

#include "moec/Compiler/Compile.h"
#include "moec/Runtime/CompiledModule.h"
#include "moec/Support/Status.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>

namespace moec {

/// Lowers `module` (moe ops on tensors, as buildModule makes them) with
/// moe-cpu-pipeline, optimises it for this CPU and JIT-compiles it. The
/// result answers `signature` and runs like an ahead-of-time module.
/// Diagnostics come back in the Status message.
StatusOr<std::unique_ptr<CompiledModule>>
compileForThisCPU(mlir::ModuleOp module, const CompileOptions &options,
                  const std::string &signature);

} // namespace moec

#endif // MOEC_COMPILER_CPUJIT_H
