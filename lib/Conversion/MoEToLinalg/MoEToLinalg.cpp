//===- MoEToLinalg.cpp - the convert-moe-to-linalg pass -------------------===//
#include "moec/Conversion/MoEToLinalg.h"

#include "MoE/MoEOps.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace moec {
#define GEN_PASS_DEF_CONVERTMOETOLINALG
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

struct ConvertMoEToLinalg
    : moec::impl::ConvertMoEToLinalgBase<ConvertMoEToLinalg> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<moe::MoEDialect>();
    target.addLegalDialect<
        arith::ArithDialect, bufferization::BufferizationDialect,
        linalg::LinalgDialect, math::MathDialect, memref::MemRefDialect,
        scf::SCFDialect, tensor::TensorDialect>();
    RewritePatternSet patterns(ctx);
    moec::populateDecomposeBlockPatterns(patterns);
    moec::populateDecomposeLatentAttentionPatterns(patterns,
                                                   /*expandMinTokens=*/0);
    moec::populateUnfuseExpertFFNPatterns(patterns);
    moec::populateRoutingToLoopsPatterns(patterns);
    moec::populateRouterScoresToLinalgPatterns(patterns);
    moec::populateSwiGLUToLinalgPatterns(patterns);
    moec::populatePermuteCombineToLinalgPatterns(patterns);
    moec::populateDecoderToLinalgPatterns(patterns);
    moec::populateAttentionToLoopsPatterns(patterns);
    moec::populateUnpackWeightsToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
