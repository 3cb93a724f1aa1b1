//===- WarpDots.h - dot products a warp shares, for bandwidth --*- C++ -*-===//
//
// The products that read each weight element once per output (decode-size
// expert products, projections, the attention's output heads) are
// weight-bound, so they are laid out for bandwidth: a warp computes
// kRowsPerWarp outputs, its 32 lanes taking turns over vectors of each
// weight row so that together they read rows contiguously (coalesced), and
// every activation vector a lane loads serves all the warp's rows; a
// butterfly of shuffles (warpSum) adds the lanes' partial sums.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_CONVERSION_MOETOGPU_WARPDOTS_H
#define MOEC_LIB_CONVERSION_MOETOGPU_WARPDOTS_H

#include "Launch.h"

namespace moec::lowering {

/// Emits `if (cond) then() else otherwise()` yielding the values of the
/// branches.
llvm::SmallVector<mlir::Value> selectValues(
    Emitter &e, mlir::Value cond,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(Emitter &)> then,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(Emitter &)> otherwise);

/// Weight rows per warp: each vector of activations a lane loads serves all
/// of them, and their loads are in flight together.
constexpr int64_t kRowsPerWarp = 4;

/// Elements per vector load along a reduction of length n: up to 16 bytes
/// of bf16/f16 weights (the widest load of a GPU thread), dividing n so that
/// every row starts aligned.
int64_t vectorWidth(int64_t n);

/// vector<width x f32> of mem at indices (widened from f16/bf16), aligned as
/// device allocations and rows of a multiple of `width` elements are.
mlir::Value loadVector(Emitter &e, mlir::Value mem, mlir::ValueRange indices,
                       int64_t width);

/// vector<width x f32> of `width` consecutive elements of mem's last
/// dimension from indices, loaded one by one (widened from f16/bf16): for
/// views whose rows may not start aligned.
mlir::Value loadElements(Emitter &e, mlir::Value mem, mlir::ValueRange indices,
                         int64_t width);

/// A lane's share of `rows` dot products of length n with one activation
/// row: the lanes of a warp take turns over vectors of vectorWidth(n)
/// elements. `act(e, h)` and `row(e, i, h)` load the vectors at element h.
/// Returns the lane's partial sums, which warpSum adds up.
llvm::SmallVector<mlir::Value>
laneDots(Emitter &e, int64_t n, mlir::Value lane, unsigned rows,
         llvm::function_ref<mlir::Value(Emitter &, mlir::Value)> act,
         llvm::function_ref<mlir::Value(Emitter &, unsigned, mlir::Value)> row);

/// The weight rows a warp's cell covers: cell * kRowsPerWarp + i, clamped
/// to the last row (loads stay in bounds; stores are guarded by `real`).
struct CellRows {
  llvm::SmallVector<mlir::Value> rows, real;
  CellRows(Emitter &e, const WarpCell &cell, int64_t count);
};

/// Stores from lane 0 only: every lane holds the warp's sums.
void storeFromLaneZero(Emitter &e, const WarpCell &cell, mlir::Value real,
                       llvm::function_ref<void(Emitter &)> store);

/// The warp cells of `rows` outputs, kRowsPerWarp each.
mlir::Value cellsOf(Emitter &e, int64_t rows);

/// Outputs [rows, G * N] of G heads of N outputs each, a warp per
/// kRowsPerWarp outputs of one head of one row: out[t, g * N + n] =
/// residual[t, g * N + n] + sum_k x[t, g * K + k] * w(g, n, k) (no residual
/// where it is null), where `weightAt(e, g, n, k)` loads vectorWidth(K)
/// weights along k. x is read element by element, so it may be any view.
void emitWarpProducts(Emitter &e, llvm::StringRef name, mlir::Value x,
                      mlir::Value out, mlir::Value residual, int64_t heads,
                      int64_t outputs, int64_t depth,
                      llvm::function_ref<mlir::Value(Emitter &, mlir::Value,
                                                     mlir::Value, mlir::Value)>
                          weightAt);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOGPU_WARPDOTS_H
