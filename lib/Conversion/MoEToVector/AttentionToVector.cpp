//===- AttentionToVector.cpp - moe.attention with an online softmax -------===//
//
// One work item per (query row, block of query heads that share a key/value
// head): the queries stream over their visible keys (contiguous in the
// head-major cache) in blocks, keeping per head the running maximum m and
// denominator l of the softmax and the output row, rescaled by
// exp(m_old - m_new) per block, in buffers (FlashAttention's online softmax).
// No [T, S] score matrix is materialised, and a block of keys and values read
// from memory serves every head of the item from L1, so a long context costs
// one pass over the cache per item. Keys past a query's position are masked
// to a weight of exactly 0.
//
//===----------------------------------------------------------------------===//
#include "DotTile.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

#include <algorithm>
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
/// Query heads of one key/value head per work item.
constexpr int64_t kHeadsPerItem = 8;

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

    // A work item is one query row of `perItem` query heads that read the
    // same key/value head: each block of keys and values comes from memory
    // once and serves all of them from L1 (MLA's absorbed form has 16 or
    // more heads on one cache). Items are head-block-major: the rows of one
    // head differ in cost (later rows see more keys), so each thread's
    // contiguous share holds whole heads.
    int64_t perItem = std::min(group, kHeadsPerItem);
    while (group % perItem != 0)
      --perItem;
    const int64_t blocksPerKvHead = group / perItem;
    Value headBlocks = e.index(op.getNumKvHeads() * blocksPerKvHead);
    Value items = e.mul(tokens, headBlocks);
    // Each item's running maximum and denominator per head, across key
    // blocks.
    auto statsType =
        RankedTensorType::get({ShapedType::kDynamic, perItem}, f32);
    Value maxima = e.alloc(statsType, items);
    Value sums = e.alloc(statsType, items);
    parallelFor(e, items, [&](Emitter &e, Value item) {
      Value block = e.div(item, tokens), t = e.rem(item, tokens);
      Value firstHead = e.mul(block, e.index(perItem));
      Value kvHead = e.div(firstHead, e.index(group));
      Value position = e.add(start, t);
      Value visible = e.add(position, e.index(1));

      // Visits the output row of head h in vector chunks (and a scalar
      // tail): chunk(e, c, lanes) with lanes = 0 for a scalar.
      auto forEachChunk =
          [&](Emitter &e, function_ref<void(Emitter &, Value, int64_t)> chunk) {
            e.loop(0, vecEnd, vl,
                   [&](Emitter &e, Value c) { chunk(e, c, vl); });
            e.loop(vecEnd, valueDim,
                   [&](Emitter &e, Value c) { chunk(e, c, 0); });
          };
      auto outBaseOf = [&](Emitter &e, Value h) {
        return e.mul(h, e.index(valueDim));
      };
      auto loadOut = [&](Emitter &e, Value outBase, Value c, int64_t lanes) {
        return loadRow(e, Row{out, {t}, outBase}, c, lanes);
      };
      auto storeOut = [&](Emitter &e, Value v, Value outBase, Value c,
                          int64_t lanes) {
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
      // Runs body(e, i, h) for each head i < perItem of the item.
      auto forEachHead = [&](Emitter &e,
                             function_ref<void(Emitter &, Value, Value)> body) {
        e.loop(0, perItem, [&](Emitter &e, Value i) {
          Value h = e.add(firstHead, i);
          body(e, i, h);
        });
      };

      forEachHead(e, [&](Emitter &e, Value i, Value h) {
        Value outBase = outBaseOf(e, h);
        forEachChunk(e, [&](Emitter &e, Value c, int64_t lanes) {
          Value zero = lanes ? arith::ConstantOp::create(
                                   e.b, e.loc,
                                   DenseElementsAttr::get(
                                       vecType, e.b.getF32FloatAttr(0.0)))
                                   .getResult()
                             : e.f32(0.0);
          storeOut(e, zero, outBase, c, lanes);
        });
        Value noMax = e.f32(-INFINITY);
        e.store(noMax, maxima, {item, i});
        Value noSum = e.f32(0.0);
        e.store(noSum, sums, {item, i});
      });

      Value first = e.index(0);
      e.loop(
          first, visible,
          [&](Emitter &e, Value s0) {
            SmallVector<Value> keyIds, valid;
            SmallVector<Row> keyRows;
            for (int64_t j = 0; j < kKeysPerBlock; ++j) {
              Value s = e.add(s0, e.index(j));
              valid.push_back(e.cmpi(arith::CmpIPredicate::ult, s, visible));
              keyIds.push_back(e.minIndex(s, e.sub(visible, e.index(1))));
              keyRows.push_back({keys, {kvHead, keyIds.back()}, Value()});
            }
            forEachHead(e, [&](Emitter &e, Value i, Value h) {
              Value m = e.load(maxima, {item, i});
              Value l = e.load(sums, {item, i});
              Row query{q, {t}, e.mul(h, e.index(keyDim))};
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
              // o = o * alpha + sum_j p_j v_j, in independent partial sums
              // so that the fused multiply-adds do not wait on each other.
              Value outBase = outBaseOf(e, h);
              forEachChunk(e, [&](Emitter &e, Value c, int64_t lanes) {
                Value o0 = loadOut(e, outBase, c, lanes);
                SmallVector<Value> partial{e.mul(o0, splat(e, alpha, lanes))};
                for (int64_t j = 0; j < kKeysPerBlock; ++j) {
                  Value v = loadRow(
                      e, Row{values, {kvHead, keyIds[j]}, Value()}, c, lanes);
                  Value p = splat(e, probs[j], lanes);
                  size_t slot = static_cast<size_t>(j) % kPartialSums;
                  if (slot == partial.size()) {
                    partial.push_back(e.mul(p, v));
                    continue;
                  }
                  partial[slot] = lanes ? vector::FMAOp::create(
                                              e.b, e.loc, p, v, partial[slot])
                                              .getResult()
                                        : e.add(partial[slot], e.mul(p, v));
                }
                Value o = partial[0];
                for (size_t k = 1; k < partial.size(); ++k)
                  o = e.add(o, partial[k]);
                storeOut(e, o, outBase, c, lanes);
              });
              e.store(blockMax, maxima, {item, i});
              e.store(sum, sums, {item, i});
            });
          },
          kKeysPerBlock);

      forEachHead(e, [&](Emitter &e, Value i, Value h) {
        Value total = e.load(sums, {item, i});
        Value inv = e.div(e.f32(1.0), total);
        Value outBase = outBaseOf(e, h);
        forEachChunk(e, [&](Emitter &e, Value c, int64_t lanes) {
          Value o = loadOut(e, outBase, c, lanes);
          storeOut(e, e.mul(o, splat(e, inv, lanes)), outBase, c, lanes);
        });
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
