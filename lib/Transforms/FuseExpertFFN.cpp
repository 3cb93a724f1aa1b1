//===- FuseExpertFFN.cpp - permute + grouped experts + combine, fused -----===//
#include "moec/Transforms/Passes.h"

#include "MoE/MoEOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace moec {
#define GEN_PASS_DEF_MOEFUSEEXPERTFFN
#include "moec/Transforms/Passes.h.inc"
} // namespace moec

using namespace mlir;
using namespace mlir::moe;

namespace {

struct FuseExpertFFN : OpRewritePattern<CombineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CombineOp combine,
                                PatternRewriter &rewriter) const override {
    auto grouped = combine.getExpertOutputs().getDefiningOp<GroupedSwiGLUOp>();
    if (!grouped)
      return rewriter.notifyMatchFailure(combine, "not fed by grouped experts");
    auto permute = grouped.getInput().getDefiningOp<PermuteOp>();
    if (!permute || permute.getPermutation() != combine.getPermutation() ||
        static_cast<int64_t>(permute.getTopK()) !=
            combine.getWeights().getType().getDimSize(1))
      return rewriter.notifyMatchFailure(
          combine, "experts do not read x through the same permutation");
    rewriter.replaceOpWithNewOp<ExpertFFNOp>(
        combine, combine.getType(), permute.getX(), combine.getPermutation(),
        grouped.getOffsets(), combine.getWeights(), grouped.getGateWeights(),
        grouped.getUpWeights(), grouped.getDownWeights(),
        grouped.getSharedGateWeight(), grouped.getSharedUpWeight(),
        grouped.getSharedDownWeight());
    return success();
  }
};

struct UnfuseExpertFFN : OpRewritePattern<ExpertFFNOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ExpertFFNOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto rowsType =
        RankedTensorType::get({op.getPermutation().getType().getDimSize(0),
                               op.getX().getType().getDimSize(1)},
                              rewriter.getF32Type());
    auto permuted = PermuteOp::create(rewriter, loc, rowsType, op.getX(),
                                      op.getPermutation(),
                                      rewriter.getI64IntegerAttr(op.getTopK()));
    auto grouped = GroupedSwiGLUOp::create(
        rewriter, loc, rowsType, permuted, op.getOffsets(), op.getGateWeights(),
        op.getUpWeights(), op.getDownWeights(), op.getSharedGateWeight(),
        op.getSharedUpWeight(), op.getSharedDownWeight());
    rewriter.replaceOpWithNewOp<CombineOp>(
        op, op.getType(), grouped, op.getPermutation(), op.getWeights());
    return success();
  }
};

struct MoEFuseExpertFFN : moec::impl::MoEFuseExpertFFNBase<MoEFuseExpertFFN> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    moec::populateFuseExpertFFNPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void moec::populateFuseExpertFFNPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseExpertFFN>(patterns.getContext());
}

void moec::populateUnfuseExpertFFNPatterns(RewritePatternSet &patterns) {
  patterns.add<UnfuseExpertFFN>(patterns.getContext());
}
