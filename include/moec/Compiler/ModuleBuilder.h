//===- ModuleBuilder.h - moe IR from a module spec -------------*- C++ -*-===//
#ifndef MOEC_COMPILER_MODULEBUILDER_H
#define MOEC_COMPILER_MODULEBUILDER_H

#include "moec/Runtime/ModuleSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace moec {

/// Builds one `func.func` per function of `spec`, in moe ops on tensors:
/// buffer operands are memref arguments (read through
/// `bufferization.to_tensor restrict`, results written back with
/// `materialize_in_destination`), index operands are `index` arguments, and
/// every function has a C interface. The config values of `spec` (routing,
/// RMSNorm epsilon, RoPE, heads) are compiled in. moe-cpu-pipeline lowers
/// the result.
mlir::OwningOpRef<mlir::ModuleOp> buildModule(mlir::MLIRContext &context,
                                              const ModuleSpec &spec);

} // namespace moec

#endif // MOEC_COMPILER_MODULEBUILDER_H
