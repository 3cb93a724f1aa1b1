//===- ParallelLoopsToKernels.cpp - host parallel loops as kernels --------===//
#include "moec/Conversion/MoEToGPU.h"

#include "Launch.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"

namespace moec {
#define GEN_PASS_DEF_MOEGPUPARALLELLOOPSTOKERNELS
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;
using namespace moec::lowering;

namespace {

/// Whether `op` reads a buffer of host memory: a global.
bool readsHostGlobal(Operation *op, Region &kernel) {
  for (Value operand : op->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (def && isa<memref::GetGlobalOp>(def) &&
        !kernel.isAncestor(def->getParentRegion()))
      return true;
  }
  return false;
}

struct MoEGPUParallelLoopsToKernels
    : moec::impl::MoEGPUParallelLoopsToKernelsBase<
          MoEGPUParallelLoopsToKernels> {
  using Base::Base;

  void runOnOperation() override {
    counter = 0;
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<gpu::LaunchOp>() &&
          !loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      if (failed(toKernel(loop)))
        return signalPassFailure();
  }

  LogicalResult toKernel(scf::ParallelOp loop) {
    if (loop.getNumResults() != 0)
      return loop.emitError("moe-gpu-parallel-loops-to-kernels: a parallel "
                            "loop with reductions cannot run a thread per "
                            "iteration");
    WalkResult global = loop.getRegion().walk([&](Operation *op) {
      if (readsHostGlobal(op, loop.getRegion())) {
        op->emitError("moe-gpu-parallel-loops-to-kernels: a kernel cannot "
                      "read a global of the host code");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (global.wasInterrupted())
      return failure();

    OpBuilder b(loop);
    Emitter e{b, loop.getLoc()};
    // Trip count of each dimension, and of all of them.
    SmallVector<Value> trips;
    Value total = e.index(1);
    for (auto [lb, ub, step] : llvm::zip_equal(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      Value span = e.sub(ub, lb);
      Value last = e.sub(step, e.index(1));
      Value trip = e.div(e.add(span, last), step);
      trips.push_back(trip);
      total = e.mul(total, trip);
    }
    const std::string name =
        getOperation().getSymName().str() + "_loop" + std::to_string(counter++);
    launchPerItem(e, name, total, [&](Emitter &e, Value i) {
      IRMapping map;
      Value rest = i;
      for (int64_t d = loop.getNumLoops() - 1; d >= 0; --d) {
        // What is left for the outermost dimension is already within it.
        Value within = d == 0 ? rest : e.rem(rest, trips[d]);
        Value offset = e.mul(within, loop.getStep()[d]);
        map.map(loop.getInductionVars()[d],
                e.add(loop.getLowerBound()[d], offset));
        rest = e.div(rest, trips[d]);
      }
      for (Operation &op : loop.getBody()->without_terminator())
        e.b.clone(op, map);
    });
    loop.erase();
    return success();
  }

  int64_t counter = 0;
};

} // namespace
