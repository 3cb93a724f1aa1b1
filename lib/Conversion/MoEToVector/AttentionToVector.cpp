//===- AttentionToVector.cpp - moe.attention with an online softmax -------===//
//
// One work item per (head, query row): the query streams over its visible
// keys (contiguous in the head-major cache) in blocks, keeping the running
// maximum m and denominator l of the softmax in registers and the output row,
// rescaled by exp(m_old - m_new) per block, in the result buffer
// (FlashAttention's online softmax). No [T, S] score matrix is materialised, so
// a long context costs memory traffic over the cache only. Keys past a query's
// position are masked to a weight of exactly 0.
//
//===----------------------------------------------------------------------===//
#include "DotTile.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using namespace moec::lowering;

namespace {

/// Keys per block: one dot-product accumulator each, plus the query and a
/// key vector, fits 16 vector registers.
constexpr int64_t kKeysPerBlock = 8;
/// Independent accumulators of the weighted sum of values.
constexpr size_t kPartialSums = 4;

struct AttentionToVector : OpConversionPattern<AttentionOp> {
  AttentionToVector(MLIRContext *ctx, const ExpertKernelTiling &tiling)
      : OpConversionPattern(ctx), tiling(tiling) {}

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    const int64_t heads = op.getNumHeads();
    const int64_t group = heads / op.getNumKvHeads();
    const int64_t keyDim = op.getKeyDim(), valueDim = op.getValueDim();
    const double scale = op.getScaleOrDefault();
    Value q = e.buffer(adaptor.getQ(), true);
    Value keys = e.buffer(adaptor.getKeys(), true);
    Value values = e.buffer(adaptor.getValues(), true);
    Value start = adaptor.getStart();
    Value tokens = e.dim(q, 0);
    Value out = e.alloc(op.getType(), tokens);
    const int64_t vl = tiling.vectorWidth;
    const int64_t vecEnd = valueDim / vl * vl;
    Type f32 = rewriter.getF32Type();
    auto vecType = VectorType::get({vl}, f32);

    // Head-major items: the rows of one head differ in cost (later rows see
    // more keys), so each thread's contiguous share holds whole heads.
    parallelFor(e, e.mul(tokens, e.index(heads)), [&](Emitter &e, Value item) {
      Value h = e.div(item, tokens), t = e.rem(item, tokens);
      Value base = e.mul(h, e.index(keyDim));
      Value outBase = e.mul(h, e.index(valueDim));
      Value kvHead = e.div(h, e.index(group));
      Value position = e.add(start, t);
      Value visible = e.add(position, e.index(1));
      Row query{q, {t}, base};

      // Visits the output row in vector chunks (and a scalar tail):
      // chunk(e, c, lanes) with lanes = 0 for a scalar.
      auto forEachChunk =
          [&](Emitter &e, function_ref<void(Emitter &, Value, int64_t)> chunk) {
            e.loop(0, vecEnd, vl,
                   [&](Emitter &e, Value c) { chunk(e, c, vl); });
            e.loop(vecEnd, valueDim,
                   [&](Emitter &e, Value c) { chunk(e, c, 0); });
          };
      auto loadOut = [&](Emitter &e, Value c, int64_t lanes) {
        return loadRow(e, Row{out, {t}, outBase}, c, lanes);
      };
      auto storeOut = [&](Emitter &e, Value v, Value c, int64_t lanes) {
        Value col = e.add(outBase, c);
        if (lanes)
          vector::StoreOp::create(e.b, e.loc, v, out, ValueRange{t, col});
        else
          e.store(v, out, {t, col});
      };
      auto splat = [&](Emitter &e, Value s, int64_t lanes) {
        return lanes ? vector::BroadcastOp::create(e.b, e.loc, vecType, s)
                           .getResult()
                     : s;
      };

      forEachChunk(e, [&](Emitter &e, Value c, int64_t lanes) {
        Value zero =
            lanes
                ? arith::ConstantOp::create(
                      e.b, e.loc,
                      DenseElementsAttr::get(vecType, e.b.getF32FloatAttr(0.0)))
                      .getResult()
                : e.f32(0.0);
        storeOut(e, zero, c, lanes);
      });

      Value first = e.index(0);
      Value noMax = e.f32(-INFINITY), noSum = e.f32(0.0);
      ValueRange stats = e.loop(
          first, visible, {noMax, noSum},
          [&](Emitter &e, Value s0, ValueRange acc) -> SmallVector<Value> {
            Value m = acc[0], l = acc[1];
            SmallVector<Value> keyIds, valid;
            SmallVector<Row> keyRows;
            for (int64_t j = 0; j < kKeysPerBlock; ++j) {
              Value s = e.add(s0, e.index(j));
              valid.push_back(e.cmpi(arith::CmpIPredicate::ult, s, visible));
              keyIds.push_back(e.minIndex(s, e.sub(visible, e.index(1))));
              keyRows.push_back({keys, {kvHead, keyIds.back()}, Value()});
            }
            auto dots = dotTile(e, keyDim, vl, {query}, {keyRows});
            SmallVector<Value> scores;
            Value blockMax = m;
            for (int64_t j = 0; j < kKeysPerBlock; ++j) {
              Value scaled = e.mul(dots[0][j][0], e.f32(scale));
              Value sc = e.select(valid[j], scaled, e.f32(-INFINITY));
              scores.push_back(sc);
              blockMax = arith::MaximumFOp::create(e.b, e.loc, blockMax, sc);
            }
            auto exp = [&](Value v) {
              return math::ExpOp::create(e.b, e.loc, v).getResult();
            };
            Value alpha = exp(arith::SubFOp::create(e.b, e.loc, m, blockMax));
            Value sum = e.mul(l, alpha);
            SmallVector<Value> probs;
            for (Value sc : scores) {
              probs.push_back(
                  exp(arith::SubFOp::create(e.b, e.loc, sc, blockMax)));
              sum = e.add(sum, probs.back());
            }
            // o = o * alpha + sum_j p_j v_j, in independent partial sums so
            // that the fused multiply-adds do not wait on each other.
            forEachChunk(e, [&](Emitter &e, Value c, int64_t lanes) {
              Value out = loadOut(e, c, lanes);
              SmallVector<Value> partial{e.mul(out, splat(e, alpha, lanes))};
              for (int64_t j = 0; j < kKeysPerBlock; ++j) {
                Value v = loadRow(e, Row{values, {kvHead, keyIds[j]}, Value()},
                                  c, lanes);
                Value p = splat(e, probs[j], lanes);
                size_t slot = static_cast<size_t>(j) % kPartialSums;
                if (slot == partial.size()) {
                  partial.push_back(e.mul(p, v));
                  continue;
                }
                partial[slot] = lanes ? vector::FMAOp::create(e.b, e.loc, p, v,
                                                              partial[slot])
                                            .getResult()
                                      : e.add(partial[slot], e.mul(p, v));
              }
              Value o = partial[0];
              for (size_t i = 1; i < partial.size(); ++i)
                o = e.add(o, partial[i]);
              storeOut(e, o, c, lanes);
            });
            return {blockMax, sum};
          },
          kKeysPerBlock);

      Value inv = e.div(e.f32(1.0), stats[1]);
      forEachChunk(e, [&](Emitter &e, Value c, int64_t lanes) {
        Value out = loadOut(e, c, lanes);
        storeOut(e, e.mul(out, splat(e, inv, lanes)), c, lanes);
      });
    });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

  ExpertKernelTiling tiling;
};

} // namespace

void moec::lowering::populateAttentionToVectorPatterns(
    RewritePatternSet &patterns, const ExpertKernelTiling &tiling) {
  patterns.add<AttentionToVector>(patterns.getContext(), tiling);
}
