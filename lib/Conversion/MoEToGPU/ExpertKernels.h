//===- ExpertKernels.h - the expert products for other ops -----*- C++ -*-===//
#ifndef MOEC_LIB_CONVERSION_MOETOGPU_EXPERTKERNELS_H
#define MOEC_LIB_CONVERSION_MOETOGPU_EXPERTKERNELS_H

#include "MoE/MoEAttrs.h"
#include "moec/Conversion/Emitter.h"

#include "mlir/IR/BuiltinTypes.h"

namespace moec::lowering {

/// A new buffer of `type` [T, N] holding x * weight^T for x [T, K] and
/// weight [N, K] (PyTorch Linear layout), its heads turned by `rope` (a
/// rotate-half RoPE, row t at position ropeStart + t), then plus `residual`
/// [T, N], where these are not null. Computed by the kernels of an expert's
/// down product (ExpertsToGPU.cpp): from 8 rows on, tensor-core tiles where
/// the weight is BF16 and K a multiple of 32, else a warp per four outputs
/// of a row (with RoPE, two pairs of a head). x is read in aligned vectors,
/// so its rows must start 16-byte aligned (a whole device buffer of rows of
/// K elements).
mlir::Value emitLinearKernels(Emitter &e, mlir::Value x, mlir::Value weight,
                              mlir::Value residual, mlir::moe::RoPEAttr rope,
                              mlir::Value ropeStart,
                              mlir::RankedTensorType type);

/// RoPE pair j's inverse frequency (f64), from a constant table of the
/// kernel.
mlir::Value inverseFrequency(Emitter &e, mlir::moe::RoPEAttr rope,
                             mlir::Value j);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOGPU_EXPERTKERNELS_H
