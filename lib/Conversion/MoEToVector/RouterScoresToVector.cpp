//===- RouterScoresToVector.cpp - moe.router_scores as dot-product tiles
//---===//
#include "DotTile.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/RoutingLoops.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using namespace moec::lowering;

namespace {

/// Router scores: logits as register-tiled dot products over H (token rows
/// x router rows, both contiguous), parallel over token tiles; then softmax
/// or sigmoid per token over the E logits.
struct RouterScoresToVector : OpConversionPattern<RouterScoresOp> {
  RouterScoresToVector(MLIRContext *ctx, const ExpertKernelTiling &tiling)
      : OpConversionPattern(ctx), tiling(tiling) {}

  LogicalResult
  matchAndRewrite(RouterScoresOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t hidden = op.getX().getType().getDimSize(1);
    const int64_t experts = op.getWeight().getType().getDimSize(0);
    if (ShapedType::isDynamic(hidden) || ShapedType::isDynamic(experts))
      return rewriter.notifyMatchFailure(op, "needs static H and E");
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX(), true);
    Value w = e.buffer(adaptor.getWeight(), true);
    Value tokens = e.dim(x, 0);
    Value scores = e.alloc(op.getType(), tokens);
    const int64_t rows = tiling.rows, cols = tiling.downCols;
    const bool sigmoid = op.getScoring() == ScoringFunc::sigmoid;

    Value roundedUp = e.add(tokens, e.index(rows - 1));
    Value tileCount = e.div(roundedUp, e.index(rows));
    parallelFor(e, tileCount, [&](Emitter &e, Value tile) {
      Value lo = e.mul(tile, e.index(rows));
      Value hi = e.minIndex(e.add(lo, e.index(rows)), tokens);
      // Logits of rows [lo, hi): rows past hi repeat the last and are not
      // stored; expert columns likewise.
      Value begin = e.index(0), end = e.index(experts);
      e.loop(
          begin, end, {},
          [&](Emitter &e, Value n0, ValueRange) {
            SmallVector<Row> as, bs;
            SmallVector<Value> rowIds, colIds;
            for (int64_t i = 0; i < rows; ++i) {
              Value row = e.add(lo, e.index(i));
              Value lastRow = e.sub(hi, e.index(1));
              rowIds.push_back(e.minIndex(row, lastRow));
              as.push_back({x, {rowIds.back()}, Value()});
            }
            for (int64_t c = 0; c < cols; ++c) {
              Value col = e.add(n0, e.index(c));
              colIds.push_back(e.minIndex(col, e.index(experts - 1)));
              bs.push_back({w, {colIds.back()}, Value()});
            }
            auto sums = dotTile(e, hidden, tiling.vectorWidth, as, {bs});
            for (int64_t c = 0; c < cols; ++c)
              for (int64_t i = 0; i < rows; ++i) {
                Value row = e.add(lo, e.index(i));
                Value rowValid = e.cmpi(arith::CmpIPredicate::ult, row, hi);
                Value col = e.add(n0, e.index(c));
                Value colValid =
                    e.cmpi(arith::CmpIPredicate::ult, col, e.index(experts));
                Value valid = e.andi(rowValid, colValid);
                e.when(valid, [&](Emitter &e) {
                  e.store(sums[0][c][i], scores, {rowIds[i], colIds[c]});
                });
              }
            return SmallVector<Value>();
          },
          cols);
      e.loop(lo, hi, [&](Emitter &e, Value t) {
        emitScoreNormalization(e, scores, scores, t, experts, sigmoid);
      });
    });
    rewriter.replaceOp(op, e.tensor(op.getType(), scores));
    return success();
  }

  ExpertKernelTiling tiling;
};

} // namespace

void moec::lowering::populateRouterScoresToVectorPatterns(
    RewritePatternSet &patterns, const ExpertKernelTiling &tiling) {
  patterns.add<RouterScoresToVector>(patterns.getContext(), tiling);
}
