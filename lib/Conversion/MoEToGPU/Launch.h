//===- Launch.h - kernels as gpu.launch over index spaces ------*- C++ -*-===//
//
// The moe ops lower to kernels that give each GPU thread one item of an
// index space (a token, a (row, column) cell). Grids put the unbounded
// dimension (tokens, sorted rows) on x, which allows 2^31 - 1 blocks, and
// column blocks on y.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_CONVERSION_MOETOGPU_LAUNCH_H
#define MOEC_LIB_CONVERSION_MOETOGPU_LAUNCH_H

#include "moec/Conversion/Emitter.h"

namespace moec::lowering {

/// ceil(n / d) of unsigned indices.
mlir::Value ceilDiv(Emitter &e, mlir::Value n, mlir::Value d);
mlir::Value ceilDiv(Emitter &e, mlir::Value n, int64_t d);

/// Threads per block of the element-wise and dot-product kernels.
constexpr int64_t kThreadsPerBlock = 128;

// Kernels are named `moe_<name>` (the outlined gpu.func), which is what
// profilers and the PTX show.

/// One thread per i in [0, n): body(e, i).
void launchPerItem(Emitter &e, llvm::StringRef name, mlir::Value n,
                   llvm::function_ref<void(Emitter &, mlir::Value)> body);

/// One thread per cell (row, col) of rows x cols, a block of columns per
/// block: body(e, row, col).
void launchPerCell(
    Emitter &e, llvm::StringRef name, mlir::Value rows, mlir::Value cols,
    llvm::function_ref<void(Emitter &, mlir::Value, mlir::Value)> body);

/// Lanes of a warp.
constexpr int64_t kWarpSize = 32;

/// A warp's place in launchWarpPerCell.
struct WarpCell {
  mlir::Value row;
  /// The cell, clamped to the last one: every lane of every warp runs the
  /// body, as the shuffles of warpSum need.
  mlir::Value cell;
  mlir::Value lane;
  /// Whether the cell is a real one (the last block may have spare warps):
  /// guards every store.
  mlir::Value real;
};

/// One warp per cell (row, cell) of rows x cells, its lanes sharing the
/// cell's work, kThreadsPerBlock / kWarpSize cells per block.
void launchWarpPerCell(
    Emitter &e, llvm::StringRef name, mlir::Value rows, mlir::Value cells,
    llvm::function_ref<void(Emitter &, const WarpCell &)> body);

/// The sum over the lanes of a warp of each of `values` (f32), in every
/// lane: a butterfly of xor shuffles, so every lane gets the same bits and
/// every run the same result.
llvm::SmallVector<mlir::Value> warpSum(Emitter &e, mlir::ValueRange values);

/// The most threads a block may have on every supported GPU.
constexpr int64_t kMaxThreadsPerBlock = 1024;

/// One block of `threads` threads (at most kMaxThreadsPerBlock):
/// body(e, thread id). The body may wait for its block at blockBarrier,
/// at its top level, where every thread reaches it.
void launchBlock(Emitter &e, llvm::StringRef name, int64_t threads,
                 llvm::function_ref<void(Emitter &, mlir::Value)> body);

/// Waits until every thread of the block has reached this point, and
/// makes their memory writes before it visible to each other.
void blockBarrier(Emitter &e);

/// A single thread: for sequential work that must stay on the device.
void launchSingle(Emitter &e, llvm::StringRef name,
                  llvm::function_ref<void(Emitter &)> body);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOGPU_LAUNCH_H
