//===- AttentionToLoops.cpp - moe.attention as scalar loops ---------------===//
//
// The plain reading of the op, one (query row, head) at a time: the row
// maximum of the scaled scores, the softmax denominator, then the weighted
// sum of values. Scores are recomputed in each pass rather than stored: this
// is the reference lowering, not the fast one (convert-moe-to-vector).
//
//===----------------------------------------------------------------------===//
#include "MoE/MoEOps.h"
#include "moec/Conversion/Emitter.h"
#include "moec/Conversion/MoEToLinalg.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;
using moec::lowering::Emitter;

namespace {

struct AttentionToLoops : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    const int64_t heads = op.getNumHeads();
    const int64_t group = heads / op.getNumKvHeads();
    const int64_t keyDim = op.getKeyDim(), valueDim = op.getValueDim();
    const double scale = op.getScaleOrDefault();
    Value q = e.buffer(adaptor.getQ());
    Value keys = e.buffer(adaptor.getKeys());
    Value values = e.buffer(adaptor.getValues());
    Value start = adaptor.getStart();
    Value tokens = e.dim(q, 0);
    Value out = e.alloc(op.getType(), tokens);
    Value zero = e.index(0), keyWidth = e.index(keyDim),
          valueWidth = e.index(valueDim);

    e.loop(zero, tokens, [&](Emitter &e, Value t) {
      Value position = e.add(start, t);
      Value visible = e.add(position, e.index(1));
      e.loop(zero, e.index(heads), [&](Emitter &e, Value h) {
        Value qBase = e.mul(h, keyWidth);
        Value outBase = e.mul(h, valueWidth);
        Value kvHead = e.div(h, e.index(group));
        auto score = [&](Emitter &e, Value s) {
          Value dot =
              e.loop(zero, keyWidth, {e.f32(0.0)},
                     [&](Emitter &e, Value c, ValueRange acc) {
                       Value a = e.load(q, {t, e.add(qBase, c)});
                       Value b = e.toF32(e.load(keys, {kvHead, s, c}));
                       return SmallVector<Value>{e.add(acc[0], e.mul(a, b))};
                     })[0];
          return e.mul(dot, e.f32(scale));
        };
        auto exp = [&](Emitter &e, Value v) {
          return math::ExpOp::create(e.b, e.loc, v).getResult();
        };
        Value max =
            e.loop(zero, visible, {e.f32(-INFINITY)},
                   [&](Emitter &e, Value s, ValueRange acc) {
                     return SmallVector<Value>{arith::MaximumFOp::create(
                         e.b, e.loc, acc[0], score(e, s))};
                   })[0];
        Value sum = e.loop(
            zero, visible, {e.f32(0.0)},
            [&](Emitter &e, Value s, ValueRange acc) {
              Value p =
                  exp(e, arith::SubFOp::create(e.b, e.loc, score(e, s), max));
              return SmallVector<Value>{e.add(acc[0], p)};
            })[0];
        e.loop(zero, valueWidth, [&](Emitter &e, Value c) {
          Value zeroF = e.f32(0.0);
          e.store(zeroF, out, {t, e.add(outBase, c)});
        });
        e.loop(zero, visible, [&](Emitter &e, Value s) {
          Value p = e.div(
              exp(e, arith::SubFOp::create(e.b, e.loc, score(e, s), max)), sum);
          e.loop(zero, valueWidth, [&](Emitter &e, Value c) {
            Value col = e.add(outBase, c);
            Value v = e.toF32(e.load(values, {kvHead, s, c}));
            Value acc = e.load(out, {t, col});
            e.store(e.add(acc, e.mul(p, v)), out, {t, col});
          });
        });
      });
    });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }
};

} // namespace

void moec::populateAttentionToLoopsPatterns(RewritePatternSet &patterns) {
  patterns.add<AttentionToLoops>(patterns.getContext());
}
