//===- DotTile.h - register-tiled dot products on buffers ------*- C++ -*-===//
//
// The building blocks of moec's CPU kernels: rows of operands read along a
// contiguous dimension, a tile of dot products kept in vector registers, and
// a parallel loop over work items.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_CONVERSION_MOETOVECTOR_DOTTILE_H
#define MOEC_LIB_CONVERSION_MOETOVECTOR_DOTTILE_H

#include "moec/Conversion/Emitter.h"
#include "moec/Conversion/MoEToVector.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace moec::lowering {

/// One operand row of a dot product: the elements mem[prefix..., base + c]
/// for c along the contracted dimension.
struct Row {
  mlir::Value mem;
  llvm::SmallVector<mlir::Value, 3> prefix;
  mlir::Value base; // null: 0
};

/// Loads `width` elements of `row` at `c` as f32 (a vector, or a scalar for
/// width 0), widening bf16/f16 weights in registers.
mlir::Value loadRow(Emitter &e, const Row &row, mlir::Value c, int64_t width);

/// Dot products of length `length` between each row of `as` and each row of
/// every set in `bSets`. Returns sums[set][b][a]. Vector accumulators over
/// the multiple-of-`width` part, scalar ones over the tail.
llvm::SmallVector<llvm::SmallVector<llvm::SmallVector<mlir::Value>>>
dotTile(Emitter &e, int64_t length, int64_t width, llvm::ArrayRef<Row> as,
        llvm::ArrayRef<llvm::SmallVector<Row>> bSets);

/// A parallel loop (scf.forall) over [0, count): the body runs once per item.
void parallelFor(Emitter &e, mlir::Value count,
                 llvm::function_ref<void(Emitter &, mlir::Value)> body);

/// moe.router_scores as dot-product tiles, then softmax or sigmoid.
void populateRouterScoresToVectorPatterns(mlir::RewritePatternSet &patterns,
                                          const ExpertKernelTiling &tiling);

/// moe.swiglu as a moe.expert_ffn with one expert.
void populateSwiGLUAsExpertFFNPatterns(mlir::RewritePatternSet &patterns);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOVECTOR_DOTTILE_H
