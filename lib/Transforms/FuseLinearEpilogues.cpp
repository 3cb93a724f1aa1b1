//===- FuseLinearEpilogues.cpp - RoPE and residuals into moe.linear -------===//
#include "moec/Transforms/Passes.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace moec {
#define GEN_PASS_DEF_MOEFUSELINEAREPILOGUES
#include "moec/Transforms/Passes.h.inc"
} // namespace moec

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The linear defining `v` if this use is its only one.
LinearOp soleLinear(Value v) {
  auto linear = v.getDefiningOp<LinearOp>();
  return linear && linear->hasOneUse() ? linear : LinearOp();
}

struct FuseRoPE : OpRewritePattern<RoPEOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RoPEOp rope,
                                PatternRewriter &rewriter) const override {
    // The linear kernels' epilogue turns rotate-half pairs only.
    if (rope.getRope().isInterleaved())
      return rewriter.notifyMatchFailure(rope, "interleaved pairs");
    LinearOp linear = soleLinear(rope.getX());
    if (!linear || linear.getResidual() || linear.getRopeAttr())
      return rewriter.notifyMatchFailure(rope, "not a plain linear's only use");
    rewriter.replaceOpWithNewOp<LinearOp>(rope, rope.getType(), linear.getX(),
                                          linear.getWeight(), rope.getStart(),
                                          /*residual=*/Value(), rope.getRope());
    rewriter.eraseOp(linear);
    return success();
  }
};

struct FuseResidual : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [mine, other] : {std::pair{add.getLhs(), add.getRhs()},
                               std::pair{add.getRhs(), add.getLhs()}}) {
      LinearOp linear = soleLinear(mine);
      if (!linear || linear.getResidual() || other.getType() != add.getType())
        continue;
      // Which operand the linear is does not matter: f32 addition of two
      // values is commutative, bit for bit.
      rewriter.replaceOpWithNewOp<LinearOp>(
          add, add.getType(), linear.getX(), linear.getWeight(),
          linear.getRopeStart(), other, linear.getRopeAttr());
      rewriter.eraseOp(linear);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no linear to fold into");
  }
};

struct MoEFuseLinearEpilogues
    : moec::impl::MoEFuseLinearEpiloguesBase<MoEFuseLinearEpilogues> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    moec::populateFuseLinearEpiloguesPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void moec::populateFuseLinearEpiloguesPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseRoPE, FuseResidual>(patterns.getContext());
}
