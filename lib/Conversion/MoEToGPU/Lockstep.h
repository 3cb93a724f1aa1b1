//===- Lockstep.h - GPU kernels on the host, a warp at a time ---*- C++ -*-===//
//
// The second way moe-gpu-launch-to-loops runs a kernel on the host, for
// kernels with warp-wide matrix products (nvvm.mma.sync), each reading the
// fragments of all 32 lanes, or with shuffles (the attention's scores),
// under loops of the kernel, which loop fission at the top level cannot
// reach. So the lanes of a warp run in lock step:
// the ops between two warp-wide ops in a loop over the lanes, passing their
// values on in per-lane slots; loops and branches that contain a product
// once per warp.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_CONVERSION_MOETOGPU_LOCKSTEP_H
#define MOEC_LIB_CONVERSION_MOETOGPU_LOCKSTEP_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"

namespace moec::lowering {

/// Whether the kernel has warp-wide matrix products, or shuffles inside its
/// loops or branches, so that its lanes must run in lock step.
bool needsLockstep(mlir::gpu::LaunchOp op);

/// Replaces `op` by loops over its blocks and warps, the lanes of a warp in
/// lock step. The block must have a constant number of threads, a multiple
/// of 32; loops and branches holding a product or a shuffle must be warp
/// uniform (their bounds and conditions are lane 0's), as the GPU requires.
mlir::LogicalResult emulateInLockstep(mlir::gpu::LaunchOp op);

/// Maps what every thread of a block shares: the block ids to `blockIvs`
/// (z, y, x), the grid and block sizes to the launch's operands.
void mapBlockValues(mlir::gpu::LaunchOp op,
                    mlir::ArrayRef<mlir::Value> blockIvs, mlir::IRMapping &map);

/// Removes the alignment of a copied kernel's vector accesses: it holds for
/// device allocations, not for host buffers (mapped checkpoints, NumPy
/// arrays), which promise only the element's.
void dropVectorAlignment(mlir::Operation *copy);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOGPU_LOCKSTEP_H
