//===- MoEToVector.cpp - the convert-moe-to-vector pass -------------------===//
#include "moec/Conversion/MoEToVector.h"

#include "DotTile.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace moec {
#define GEN_PASS_DEF_CONVERTMOETOVECTOR
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

struct ConvertMoEToVector
    : moec::impl::ConvertMoEToVectorBase<ConvertMoEToVector> {
  using Base::Base;
  void runOnOperation() override {
    if (vectorWidth < 1 || rows < 1 || gateUpCols < 1 || downCols < 1 ||
        gateUpBlock < 1 || downBlock < 1) {
      getOperation()->emitError()
          << "convert-moe-to-vector: tile sizes must be positive";
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    // Ops with dynamic sizes the kernels need stay for the linalg lowering.
    target.addDynamicallyLegalOp<moe::ExpertFFNOp>([](moe::ExpertFFNOp op) {
      return op.getX().getType().isDynamicDim(1) ||
             op.getGateWeights().getType().isDynamicDim(1);
    });
    target.addDynamicallyLegalOp<moe::RouterScoresOp>(
        [](moe::RouterScoresOp op) {
          return op.getX().getType().isDynamicDim(1) ||
                 op.getWeight().getType().isDynamicDim(0);
        });
    target.addDynamicallyLegalOp<moe::SwiGLUOp>([](moe::SwiGLUOp op) {
      return op.getX().getType().isDynamicDim(1) ||
             op.getGateWeight().getType().isDynamicDim(0);
    });
    target.addDynamicallyLegalOp<moe::LinearOp>([](moe::LinearOp op) {
      return op.getX().getType().isDynamicDim(1) ||
             op.getWeight().getType().isDynamicDim(0);
    });
    target.addDynamicallyLegalOp<moe::RMSNormOp>(
        [](moe::RMSNormOp op) { return op.getX().getType().isDynamicDim(1); });
    target.addDynamicallyLegalOp<moe::EmbeddingOp>([](moe::EmbeddingOp op) {
      return op.getTable().getType().isDynamicDim(1);
    });
    // The verifiers of moe.rope, moe.attention and moe.head_matmul already
    // require static row widths.
    target.addIllegalOp<moe::RoPEOp, moe::AttentionOp, moe::HeadMatmulOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    moec::populateMoEToVectorPatterns(
        patterns,
        {vectorWidth, rows, gateUpCols, downCols, gateUpBlock, downBlock});
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass>
moec::createConvertMoEToVector(const ExpertKernelTiling &tiling) {
  return createConvertMoEToVector(ConvertMoEToVectorOptions{
      tiling.vectorWidth, tiling.rows, tiling.gateUpCols, tiling.downCols,
      tiling.gateUpBlock, tiling.downBlock});
}

void moec::populateMoEToVectorPatterns(RewritePatternSet &patterns,
                                       const ExpertKernelTiling &tiling) {
  using namespace moec::lowering;
  populateExpertFFNToVectorPatterns(patterns, tiling);
  populateSwiGLUAsExpertFFNPatterns(patterns);
  populateRouterScoresToVectorPatterns(patterns, tiling);
  populateLinearToVectorPatterns(patterns, tiling);
  populateRMSNormToVectorPatterns(patterns, tiling);
  populateEmbeddingToVectorPatterns(patterns, tiling);
  populateRoPEToVectorPatterns(patterns);
  populateAttentionToVectorPatterns(patterns, tiling);
  populateHeadMatmulToVectorPatterns(patterns, tiling);
}
