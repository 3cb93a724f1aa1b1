//===- EmbeddingToVector.cpp - moe.embedding as vector row copies ---------===//
#include "DotTile.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using namespace moec::lowering;

namespace {

/// Copies each token's table row, widened to f32 in registers, in parallel
/// over tokens.
struct EmbeddingToVector : OpConversionPattern<EmbeddingOp> {
  EmbeddingToVector(MLIRContext *ctx, const ExpertKernelTiling &tiling)
      : OpConversionPattern(ctx), tiling(tiling) {}

  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t hidden = op.getTable().getType().getDimSize(1);
    if (ShapedType::isDynamic(hidden))
      return rewriter.notifyMatchFailure(op, "needs a static hidden size");
    Emitter e{rewriter, op.getLoc()};
    Value table = e.buffer(adaptor.getTable(), true);
    Value ids = e.buffer(adaptor.getIds());
    Value tokens = e.dim(ids, 0);
    Value out = e.alloc(op.getType(), tokens);
    const int64_t vl = tiling.vectorWidth;
    const int64_t vecEnd = hidden / vl * vl;
    parallelFor(e, tokens, [&](Emitter &e, Value t) {
      Value id = arith::IndexCastUIOp::create(e.b, e.loc, e.b.getIndexType(),
                                              e.load(ids, t));
      Row row{table, {id}, Value()};
      e.loop(0, vecEnd, vl, [&](Emitter &e, Value c) {
        vector::StoreOp::create(e.b, e.loc, loadRow(e, row, c, vl), out,
                                ValueRange{t, c});
      });
      e.loop(vecEnd, hidden, [&](Emitter &e, Value c) {
        e.store(loadRow(e, row, c, 0), out, {t, c});
      });
    });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

  ExpertKernelTiling tiling;
};

} // namespace

void moec::lowering::populateEmbeddingToVectorPatterns(
    RewritePatternSet &patterns, const ExpertKernelTiling &tiling) {
  patterns.add<EmbeddingToVector>(patterns.getContext(), tiling);
}
