//===- LinalgBuilders.h - linalg pieces of the moe lowerings ----*- C++ -*-===//
//
// The pieces convert-moe-to-linalg builds its lowerings from: filled
// accumulators, matmuls against weights in PyTorch Linear layout (widened to
// f32 inside the loop body), and a whole SwiGLU MLP.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_CONVERSION_MOETOLINALG_LINALGBUILDERS_H
#define MOEC_LIB_CONVERSION_MOETOLINALG_LINALGBUILDERS_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"

namespace moec::lowering {

constexpr mlir::utils::IteratorType kPar = mlir::utils::IteratorType::parallel;
constexpr mlir::utils::IteratorType kRed = mlir::utils::IteratorType::reduction;

/// A new 2-D f32 tensor of `rows` x `cols` (static or dynamic) filled with
/// `v`. A fresh allocation each time (alloc_tensor is not CSE'd), so two
/// accumulators of one linalg op never share a buffer.
mlir::Value filled(mlir::OpBuilder &b, mlir::Location loc,
                   mlir::OpFoldResult rows, mlir::OpFoldResult cols, float v);

/// Size `i` of `tensor`, static or dynamic.
mlir::OpFoldResult dimOf(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value tensor, int64_t i);

/// The map of `dims` loop dimensions to the dimensions `results`.
mlir::AffineMap map(mlir::MLIRContext *ctx, unsigned dims,
                    llvm::ArrayRef<unsigned> results);

/// C[m, n] += A[m, k] * B[n, k] with B (PyTorch Linear layout) widened to f32.
mlir::Value matmulTransposedB(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value a, mlir::Value bMat,
                              mlir::Value init);

/// One SwiGLU MLP on rows `x` [M, H]: gate/up [W, H], down [H, W]. The
/// result is written into `dest` [M, H] (its contents are overwritten), so
/// that a slice of a larger result is updated in place.
mlir::Value swiglu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                   mlir::Value gate, mlir::Value up, mlir::Value down,
                   mlir::Value dest);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOLINALG_LINALGBUILDERS_H
