//===- DeviceBuffers.cpp - the moe-gpu-device-buffers pass ----------------===//
#include "moec/Conversion/MoEToGPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace moec {
#define GEN_PASS_DEF_MOEGPUDEVICEBUFFERS
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

/// True for ops whose memory effects on buffers run on the host: anything
/// outside a kernel but the buffer management this pass rewrites.
bool touchesBufferOnHost(Operation *op) {
  if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp>(op) ||
      isa_and_nonnull<gpu::GPUDialect>(op->getDialect()))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> list;
  effects.getEffects(list);
  return llvm::any_of(list, [](const MemoryEffects::EffectInstance &effect) {
    Value v = effect.getValue();
    return v && isa<MemRefType>(v.getType()) &&
           isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect());
  });
}

struct MoEGPUDeviceBuffers
    : moec::impl::MoEGPUDeviceBuffersBase<MoEGPUDeviceBuffers> {
  using Base::Base;
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (failed(rewrite(func)))
        return signalPassFailure();
    }
  }

  LogicalResult rewrite(func::FuncOp func) {
    if (!func.getBody().hasOneBlock())
      return func.emitError("moe-gpu-device-buffers: expected a function of "
                            "one block");
    Block &body = func.getBody().front();
    SmallVector<Operation *> ops;
    bool bad = false;
    for (Operation &op : body) {
      if (isa<gpu::LaunchOp>(op))
        continue;
      op.walk<WalkOrder::PreOrder>([&](Operation *nested) {
        if (isa<gpu::LaunchOp>(nested))
          return WalkResult::skip();
        if (touchesBufferOnHost(nested)) {
          nested->emitError() << "'" << nested->getName()
                              << "' would access device memory from the "
                                 "host: it must run inside a kernel";
          bad = true;
        }
        if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp>(nested))
          ops.push_back(nested);
        return WalkResult::advance();
      });
    }
    if (bad)
      return failure();

    OpBuilder b(func.getContext());
    SmallVector<Value> unfreed;
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      Location loc = op->getLoc();
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        auto device = gpu::AllocOp::create(
            b, loc, alloc.getType(), /*asyncToken=*/Type(),
            /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
            /*symbolOperands=*/ValueRange());
        alloc.getResult().replaceAllUsesWith(device.getMemref());
        // A buffer the function returns belongs to its caller.
        bool freedOrReturned =
            llvm::any_of(device.getMemref().getUsers(), [](Operation *u) {
              return isa<memref::DeallocOp>(u) ||
                     u->hasTrait<OpTrait::ReturnLike>();
            });
        if (!freedOrReturned)
          unfreed.push_back(device.getMemref());
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(),
                               dealloc.getMemref());
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        gpu::MemcpyOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(),
                              copy.getTarget(), copy.getSource());
      }
      op->erase();
    }
    // Kernels run to completion in order, so a buffer is free once the
    // function's last launch has returned.
    b.setInsertionPoint(body.getTerminator());
    for (Value buffer : unfreed)
      gpu::DeallocOp::create(b, buffer.getLoc(), Type(), ValueRange(), buffer);
    return success();
  }
};

} // namespace
