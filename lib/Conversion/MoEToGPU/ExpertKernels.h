//===- ExpertKernels.h - the expert products for other ops -----*- C++ -*-===//
#ifndef MOEC_LIB_CONVERSION_MOETOGPU_EXPERTKERNELS_H
#define MOEC_LIB_CONVERSION_MOETOGPU_EXPERTKERNELS_H

#include "moec/Conversion/Emitter.h"

namespace moec::lowering {

/// y = x * weight^T for x [T, K] and weight [N, K] (PyTorch Linear layout)
/// with the kernels of an expert's down product (ExpertsToGPU.cpp): from
/// 8 rows on, tensor-core tiles where the weight is BF16 and K a multiple
/// of 32, else a warp per four outputs of a row. x is read in aligned
/// vectors, so its rows must start 16-byte aligned (a whole device buffer
/// of rows of K elements).
void emitLinearKernels(Emitter &e, mlir::Value x, mlir::Value weight,
                       mlir::Value y, int64_t outputs, int64_t depth);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOGPU_EXPERTKERNELS_H
