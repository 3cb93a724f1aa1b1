//===- DecomposeBlock.cpp - moe.block into its parts ----------------------===//
#include "moec/Transforms/Passes.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace moec {
#define GEN_PASS_DEF_MOEDECOMPOSEBLOCK
#include "moec/Transforms/Passes.h.inc"
} // namespace moec

using namespace mlir;
using namespace mlir::moe;

namespace {

int64_t timesK(int64_t tokens, int64_t k) {
  return ShapedType::isDynamic(tokens) ? ShapedType::kDynamic : tokens * k;
}

struct DecomposeBlock : OpRewritePattern<BlockOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BlockOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getX();
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t tokens = xType.getDimSize(0);
    int64_t experts = op.getRouterWeight().getType().getDimSize(0);
    int64_t k = op.getTopK();
    Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();

    auto scores = RouterScoresOp::create(
        rewriter, loc, RankedTensorType::get({tokens, experts}, f32),
        op.getScoringAttr(), x, op.getRouterWeight());
    auto topk = TopKOp::create(
        rewriter, loc, RankedTensorType::get({tokens, k}, f32),
        RankedTensorType::get({tokens, k}, i32), scores, op.getBias(),
        op.getMethodAttr(), op.getNormTopkProbAttr(),
        op.getRoutedScalingFactorAttr(), op.getNGroupAttr(),
        op.getTopkGroupAttr());
    auto pairsType = RankedTensorType::get({timesK(tokens, k)}, i32);
    auto dispatch = DispatchOp::create(
        rewriter, loc, RankedTensorType::get({experts + 1}, i32), pairsType,
        topk.getIndices());
    auto rowsType =
        RankedTensorType::get({timesK(tokens, k), xType.getDimSize(1)}, f32);
    auto permuted =
        PermuteOp::create(rewriter, loc, rowsType, x, dispatch.getPermutation(),
                          rewriter.getI64IntegerAttr(k));
    auto expertOut = GroupedSwiGLUOp::create(
        rewriter, loc, rowsType, permuted, dispatch.getOffsets(),
        op.getGateWeights(), op.getUpWeights(), op.getDownWeights(), Value(),
        Value(), Value());
    Value result =
        CombineOp::create(rewriter, loc, op.getType(), expertOut,
                          dispatch.getPermutation(), topk.getWeights());
    if (op.getSharedGateWeight()) {
      Value shared = SwiGLUOp::create(
          rewriter, loc, op.getType(), x, op.getSharedGateWeight(),
          op.getSharedUpWeight(), op.getSharedDownWeight());
      result = arith::AddFOp::create(rewriter, loc, result, shared);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct MoEDecomposeBlock
    : moec::impl::MoEDecomposeBlockBase<MoEDecomposeBlock> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    moec::populateDecomposeBlockPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void moec::populateDecomposeBlockPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeBlock>(patterns.getContext());
}
