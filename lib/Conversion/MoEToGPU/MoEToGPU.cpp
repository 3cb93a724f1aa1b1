//===- MoEToGPU.cpp - the convert-moe-to-gpu pass -------------------------===//
#include "moec/Conversion/MoEToGPU.h"

#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace moec {
#define GEN_PASS_DEF_CONVERTMOETOGPU
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

/// Ops the GPU lowering takes; the others of the moe dialect are reported
/// before conversion starts.
bool hasGPULowering(Operation *op) {
  return isa<moe::RouterScoresOp, moe::TopKOp, moe::AppendSharedExpertsOp,
             moe::DispatchOp, moe::ExpertFFNOp, moe::SwiGLUOp, moe::EmbeddingOp,
             moe::RMSNormOp, moe::LinearOp, moe::HeadMatmulOp, moe::RoPEOp,
             moe::AttentionOp>(op);
}

struct ConvertMoEToGPU : moec::impl::ConvertMoEToGPUBase<ConvertMoEToGPU> {
  using Base::Base;
  void runOnOperation() override {
    bool unsupported = false;
    getOperation()->walk([&](Operation *op) {
      if (partial || !isa<moe::MoEDialect>(op->getDialect()) ||
          hasGPULowering(op))
        return;
      unsupported = true;
      if (isa<moe::BlockOp, moe::PermuteOp, moe::GroupedSwiGLUOp,
              moe::CombineOp>(op)) {
        op->emitError() << "'" << op->getName()
                        << "' must be decomposed and fused into "
                           "moe.expert_ffn before GPU lowering (run "
                           "moe-decompose-pipeline and moe-fuse-expert-ffn "
                           "first)";
        return;
      }
      if (isa<moe::LatentAttentionOp>(op)) {
        op->emitError() << "'" << op->getName()
                        << "' must be decomposed before GPU lowering (run "
                           "moe-decompose-latent-attention first)";
        return;
      }
      if (isa<moe::UnpackWeightsOp>(op)) {
        op->emitError() << "'" << op->getName()
                        << "' has no GPU lowering: the GPU kernels take "
                           "weights as stored, not in the CPU kernels' "
                           "panels";
        return;
      }
      op->emitError() << "'" << op->getName() << "' has no GPU lowering";
    });
    if (unsupported)
      return signalPassFailure();

    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addDynamicallyLegalDialect<moe::MoEDialect>(
        [](Operation *op) { return !hasGPULowering(op); });
    target.addLegalDialect<
        arith::ArithDialect, bufferization::BufferizationDialect,
        gpu::GPUDialect, LLVM::LLVMDialect, NVVM::NVVMDialect,
        math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
        tensor::TensorDialect, vector::VectorDialect>();
    const auto fusion = moec::lowering::RoutingFusion::find(getOperation());
    RewritePatternSet patterns(ctx);
    moec::lowering::populateRoutingToGPUPatterns(patterns, fusion);
    moec::lowering::populateExpertsToGPUPatterns(patterns);
    moec::lowering::populateDecoderToGPUPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
