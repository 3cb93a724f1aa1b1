//===- FoldSharedExperts.cpp - shared experts as always-on experts --------===//
#include "moec/Transforms/Passes.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace moec {
#define GEN_PASS_DEF_MOEFOLDSHAREDEXPERTS
#include "moec/Transforms/Passes.h.inc"
} // namespace moec

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The routed half of a decomposed block: combine(grouped(permute(x))).
struct RoutedExperts {
  CombineOp combine;
  GroupedSwiGLUOp grouped;
  PermuteOp permute;
  DispatchOp dispatch;
};

/// Matches `v` as routed experts without shared experts of their own, whose
/// permutation and offsets come from one dispatch.
std::optional<RoutedExperts> matchRoutedExperts(Value v) {
  RoutedExperts m;
  m.combine = v.getDefiningOp<CombineOp>();
  if (!m.combine)
    return std::nullopt;
  m.grouped = m.combine.getExpertOutputs().getDefiningOp<GroupedSwiGLUOp>();
  if (!m.grouped || m.grouped.getSharedGateWeight())
    return std::nullopt;
  m.permute = m.grouped.getInput().getDefiningOp<PermuteOp>();
  m.dispatch = m.grouped.getOffsets().getDefiningOp<DispatchOp>();
  if (!m.permute || !m.dispatch ||
      m.permute.getPermutation() != m.dispatch.getPermutation() ||
      m.combine.getPermutation() != m.dispatch.getPermutation())
    return std::nullopt;
  return m;
}

struct FoldSharedIntoGrouped : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [routedSide, sharedSide] :
         {std::pair{add.getLhs(), add.getRhs()},
          std::pair{add.getRhs(), add.getLhs()}}) {
      auto shared = sharedSide.getDefiningOp<SwiGLUOp>();
      std::optional<RoutedExperts> routed = matchRoutedExperts(routedSide);
      if (shared && routed && succeeded(fold(add, *routed, shared, rewriter)))
        return success();
    }
    return rewriter.notifyMatchFailure(add, "not routed + shared experts");
  }

  LogicalResult fold(arith::AddFOp add, RoutedExperts &m, SwiGLUOp shared,
                     PatternRewriter &rewriter) const {
    if (shared.getX() != m.permute.getX())
      return failure();
    int64_t width = m.grouped.getGateWeights().getType().getDimSize(1);
    int64_t sharedWidth = shared.getGateWeight().getType().getDimSize(0);
    int64_t routedExperts = m.grouped.getNumRoutedExperts();
    if (ShapedType::isDynamic(width) || width == 0 ||
        ShapedType::isDynamic(sharedWidth) || sharedWidth % width != 0 ||
        ShapedType::isDynamic(routedExperts) ||
        m.dispatch.getNumExperts() != routedExperts)
      return failure();
    int64_t numShared = sharedWidth / width;

    Location loc = add.getLoc();
    Value weights = m.combine.getWeights();
    Value indices = m.dispatch.getIndices();
    auto widen = [&](Value v) {
      auto type = cast<RankedTensorType>(v.getType());
      return RankedTensorType::get(
          {type.getDimSize(0), type.getDimSize(1) + numShared},
          type.getElementType());
    };
    auto appended = AppendSharedExpertsOp::create(
        rewriter, loc, widen(weights), widen(indices), weights, indices,
        rewriter.getI64IntegerAttr(routedExperts));

    int64_t k = cast<ShapedType>(indices.getType()).getDimSize(1) + numShared;
    int64_t tokens = cast<ShapedType>(indices.getType()).getDimSize(0);
    int64_t pairs =
        ShapedType::isDynamic(tokens) ? ShapedType::kDynamic : tokens * k;
    Type i32 = rewriter.getI32Type();
    auto dispatch = DispatchOp::create(
        rewriter, loc,
        RankedTensorType::get({routedExperts + numShared + 1}, i32),
        RankedTensorType::get({pairs}, i32), appended.getResultIndices());
    auto rowsType = RankedTensorType::get(
        {pairs, m.permute.getType().getDimSize(1)}, rewriter.getF32Type());
    auto permuted = PermuteOp::create(rewriter, loc, rowsType, m.permute.getX(),
                                      dispatch.getPermutation(),
                                      rewriter.getI64IntegerAttr(k));
    auto grouped = GroupedSwiGLUOp::create(
        rewriter, loc, rowsType, permuted, dispatch.getOffsets(),
        m.grouped.getGateWeights(), m.grouped.getUpWeights(),
        m.grouped.getDownWeights(), shared.getGateWeight(),
        shared.getUpWeight(), shared.getDownWeight());
    rewriter.replaceOpWithNewOp<CombineOp>(add, add.getType(), grouped,
                                           dispatch.getPermutation(),
                                           appended.getResultWeights());
    return success();
  }
};

struct MoEFoldSharedExperts
    : moec::impl::MoEFoldSharedExpertsBase<MoEFoldSharedExperts> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    moec::populateFoldSharedExpertsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void moec::populateFoldSharedExpertsPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldSharedIntoGrouped>(patterns.getContext());
}
