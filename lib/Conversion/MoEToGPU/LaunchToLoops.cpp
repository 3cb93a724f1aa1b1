//===- LaunchToLoops.cpp - the moe-gpu-launch-to-loops pass ---------------===//
//
// Runs GPU kernels on the host: each gpu.launch becomes sequential loops
// over its blocks and threads. The kernels convert-moe-to-gpu makes use no
// shared memory and no barriers, so every thread's work is independent and
// this order gives exactly the GPU's results; the CPU pipeline then compiles
// them, which checks the GPU lowering's arithmetic on machines without a GPU.
//
//===----------------------------------------------------------------------===//
#include "moec/Conversion/MoEToGPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace moec {
#define GEN_PASS_DEF_MOEGPULAUNCHTOLOOPS
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

struct MoEGPULaunchToLoops
    : moec::impl::MoEGPULaunchToLoopsBase<MoEGPULaunchToLoops> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation()->walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    for (gpu::LaunchOp op : launches) {
      if (failed(emulate(op)))
        return signalPassFailure();
    }
  }

  static LogicalResult emulate(gpu::LaunchOp op) {
    if (op.getAsyncToken() || op.getDynamicSharedMemorySize() ||
        !op.getWorkgroupAttributions().empty() ||
        !op.getPrivateAttributions().empty() || op.hasClusterSize())
      return op.emitError("moe-gpu-launch-to-loops: only synchronous "
                          "launches without shared memory run on the host");
    if (!op.getBody().hasOneBlock())
      return op.emitError("moe-gpu-launch-to-loops: expected a kernel body "
                          "of one block (structured control flow)");
    bool synchronizes = false;
    op.getBody().walk([&](gpu::BarrierOp) { synchronizes = true; });
    if (synchronizes)
      return op.emitError("moe-gpu-launch-to-loops: kernels with barriers "
                          "cannot run one thread at a time");

    OpBuilder b(op);
    Location loc = op.getLoc();
    gpu::KernelDim3 grid = op.getGridSizeOperandValues();
    gpu::KernelDim3 block = op.getBlockSizeOperandValues();
    // Loop order: blocks z, y, x, then threads z, y, x.
    Value bounds[6] = {grid.z, grid.y, grid.x, block.z, block.y, block.x};
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value ivs[6];
    scf::ForOp outermost;
    for (int i = 0; i < 6; ++i) {
      auto loop = scf::ForOp::create(b, loc, zero, bounds[i], one);
      if (i == 0)
        outermost = loop;
      ivs[i] = loop.getInductionVar();
      b.setInsertionPointToStart(loop.getBody());
    }

    IRMapping map;
    gpu::KernelDim3 blockIds = op.getBlockIds(), threadIds = op.getThreadIds();
    gpu::KernelDim3 gridArgs = op.getGridSize(), blockArgs = op.getBlockSize();
    map.map(blockIds.z, ivs[0]);
    map.map(blockIds.y, ivs[1]);
    map.map(blockIds.x, ivs[2]);
    map.map(threadIds.z, ivs[3]);
    map.map(threadIds.y, ivs[4]);
    map.map(threadIds.x, ivs[5]);
    for (auto [arg, value] : {std::pair{gridArgs.x, grid.x},
                              {gridArgs.y, grid.y},
                              {gridArgs.z, grid.z},
                              {blockArgs.x, block.x},
                              {blockArgs.y, block.y},
                              {blockArgs.z, block.z}})
      map.map(arg, value);
    for (Operation &inner : op.getBody().front().without_terminator()) {
      Operation *copy = b.clone(inner, map);
      // A thread's fixed-size private arrays are set before they are read,
      // so threads that run one after another can share them: allocated
      // once, outside the loops, they do not grow the stack per thread.
      // (Those under a loop of the kernel stay where they are.)
      SmallVector<memref::AllocaOp> hoisted;
      copy->walk([&](memref::AllocaOp alloca) {
        if (alloca->getNumOperands() != 0)
          return;
        for (Operation *p = alloca->getParentOp(); p != copy->getParentOp();
             p = p->getParentOp())
          if (isa<LoopLikeOpInterface>(p))
            return;
        hoisted.push_back(alloca);
      });
      for (memref::AllocaOp alloca : hoisted)
        alloca->moveBefore(outermost);
    }
    op.erase();
    return success();
  }
};

} // namespace
