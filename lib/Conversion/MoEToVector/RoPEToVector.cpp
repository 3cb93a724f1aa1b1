//===- RoPEToVector.cpp - moe.rope on buffers -----------------------------===//
#include "DotTile.h"
#include "Patterns.h"
#include "Rotary.h"

#include "MoE/MoEOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

/// The angles once per (row, pair index), shared by all heads of the row;
/// then every pair of every head turned, in parallel over rows. (A RoPE
/// that follows a projection is usually fused into its epilogue instead.)
struct RoPEToVector : OpConversionPattern<RoPEOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RoPEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t width = op.getX().getType().getDimSize(1);
    if (ShapedType::isDynamic(width))
      return rewriter.notifyMatchFailure(op, "needs a static row width");
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX());
    Value tokens = e.dim(x, 0);
    Value out = e.alloc(op.getType(), tokens);
    RotaryTable table =
        buildRotaryTable(e, adaptor.getStart(), tokens, op.getRope());
    const int64_t half = table.half, heads = width / (2 * half);
    parallelFor(e, tokens, [&](Emitter &e, Value t) {
      e.loop(0, heads, [&](Emitter &e, Value h) {
        Value base = e.mul(h, e.index(2 * half));
        const bool interleaved = op.getRope().isInterleaved();
        e.loop(0, half, [&](Emitter &e, Value j) {
          Value ia = e.add(base, interleaved ? e.mul(j, e.index(2)) : j);
          Value ib = e.add(ia, e.index(interleaved ? 1 : half));
          Value xa = e.load(x, {t, ia});
          Value xb = e.load(x, {t, ib});
          auto [a, b] = rotatePair(e, table, t, j, xa, xb);
          e.store(a, out, {t, ia});
          e.store(b, out, {t, ib});
        });
      });
    });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }
};

} // namespace

void moec::lowering::populateRoPEToVectorPatterns(RewritePatternSet &patterns) {
  patterns.add<RoPEToVector>(patterns.getContext());
}
