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

#include <optional>

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

/// Tile sums in the form [set][b][a], from a flat list ordered by (set, b,
/// a).
llvm::SmallVector<llvm::SmallVector<llvm::SmallVector<mlir::Value>>>
regroupSums(llvm::ArrayRef<mlir::Value> flat, int64_t sets, int64_t bs,
            int64_t as);

/// A parallel loop (scf.forall) over [0, count): the body runs once per item.
void parallelFor(Emitter &e, mlir::Value count,
                 llvm::function_ref<void(Emitter &, mlir::Value)> body);

/// Runs `body(first)` for each full tile of `rows` rows in [lo, hi), in a
/// loop; returns where the rows that fill no tile begin.
mlir::Value
forEachFullTile(Emitter &e, mlir::Value lo, mlir::Value hi, int64_t rows,
                llvm::function_ref<void(Emitter &, mlir::Value)> body);

/// Runs `store` for output (row i, column c) of a tile; columns that only
/// pad the tile are skipped.
using TileGuard = llvm::function_ref<void(Emitter &, int64_t i, int64_t c,
                                          llvm::function_ref<void(Emitter &)>)>;
/// The body of one register tile: its row and column ids.
using TileBody =
    llvm::function_ref<void(Emitter &, llvm::ArrayRef<mlir::Value> rowIds,
                            llvm::ArrayRef<mlir::Value> colIds, TileGuard)>;

/// Visits the register tiles of rows [lo, hi) x columns [begin, end): full
/// tiles of `rows` rows x `cols` columns, then single rows (a decode step
/// has one row per expert) with `rows` times the columns: the same number
/// of accumulators, and more weight rows in flight for a memory-bound step.
/// Columns past `end` repeat the last one and are skipped by the guard.
/// `uniformBlock` is the width of every column block when all are equal
/// (the usual case: 1408 and 2048 split into blocks of 64); where it is a
/// multiple of the tile width, columns need no clamp and no guard.
void forEachTile(Emitter &e, mlir::Value lo, mlir::Value hi, mlir::Value begin,
                 mlir::Value end, std::optional<int64_t> uniformBlock,
                 int64_t rows, int64_t cols, TileBody body);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOVECTOR_DOTTILE_H
