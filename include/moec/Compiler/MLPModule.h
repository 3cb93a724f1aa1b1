//===- MLPModule.h - IR for one decoder layer's MLP block ------*- C++ -*-===//
#ifndef MOEC_COMPILER_MLPMODULE_H
#define MOEC_COMPILER_MLPMODULE_H

#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <vector>

namespace moec {

/// The name of the MLP function in modules built by buildMLPModule.
inline constexpr const char *kMLPFunctionName = "mlp";

/// Builds `func.func @mlp(%x: tensor<?xHxf32>, weights...) -> tensor<?xHxf32>`
/// computing layer `layer`'s MLP block (a `moe.block` or a dense
/// `moe.swiglu`, per the config), with the weight operands of
/// MLPWeights (moec/Runtime/MLPWeights.h) whose element types are
/// `weightTypes`. The function has a C interface (`_mlir_ciface_mlp`).
mlir::OwningOpRef<mlir::ModuleOp>
buildMLPModule(mlir::MLIRContext &context, const ModelConfig &config,
               int64_t layer, const std::vector<DType> &weightTypes);

} // namespace moec

#endif // MOEC_COMPILER_MLPMODULE_H
