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

/// A single thread: for sequential work that must stay on the device.
void launchSingle(Emitter &e, llvm::StringRef name,
                  llvm::function_ref<void(Emitter &)> body);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOGPU_LAUNCH_H
