//===- ExpertFFNToVector.cpp - moe.expert_ffn as fused CPU kernels --------===//
//
// Lowers the fused expert op to three parallel phases of register-tiled dot
// products (see the pass description in Passes.td). Both weight matrices of
// an expert are read in their stored layout: every row of gate/up [I, H] and
// down [H, I] is contiguous along the contracted dimension, so a tile of
// `rows` activation rows x `cols` weight rows keeps rows*cols vector
// accumulators and reads each weight element once per tile.
//
//===----------------------------------------------------------------------===//
#include "moec/Conversion/MoEToVector.h"

#include "DotTile.h"
#include "MoE/MoEOps.h"
#include "Patterns.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using namespace moec::lowering;

namespace {

/// Where the rows of expert g's weights live: routed experts in the stacked
/// [E, rows, cols] tensor, shared experts as column/row blocks of the shared
/// MLP.
struct ExpertWeights {
  int64_t routed, width;
  std::array<Value, 3> stacked; // gate [E, I, H], up [E, I, H], down [E, H, I]
  std::array<Value, 3> shared;  // gate [S*I, H], up [S*I, H], down [H, S*I]

  /// Row `r` of gate (0) or up (1) of expert g, contracted over H.
  Row gateUp(Emitter &e, int which, Value g, Value r, bool isShared) const {
    if (!isShared)
      return {stacked[which], {g, r}, Value()};
    Value sharedIndex = e.sub(g, e.index(routed));
    Value block = e.mul(sharedIndex, e.index(width));
    return {shared[which], {e.add(block, r)}, Value()};
  }
  /// Row `h` of down of expert g, contracted over I.
  Row down(Emitter &e, Value g, Value h, bool isShared) const {
    if (!isShared)
      return {stacked[2], {g, h}, Value()};
    Value sharedIndex = e.sub(g, e.index(routed));
    Value block = e.mul(sharedIndex, e.index(width));
    return {shared[2], {h}, block};
  }
};

struct ExpertFFNToVector : OpConversionPattern<ExpertFFNOp> {
  ExpertFFNToVector(MLIRContext *ctx, const ExpertKernelTiling &tiling)
      : OpConversionPattern(ctx), tiling(tiling) {}

  LogicalResult
  matchAndRewrite(ExpertFFNOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t hidden = op.getX().getType().getDimSize(1);
    const int64_t width = op.getGateWeights().getType().getDimSize(1);
    if (ShapedType::isDynamic(hidden) || ShapedType::isDynamic(width))
      return rewriter.notifyMatchFailure(op, "needs static H and I");
    Location loc = op.getLoc();
    Emitter e{rewriter, loc};
    const int64_t routed = op.getNumRoutedExperts();
    const int64_t experts = routed + op.getNumSharedExperts();
    const int64_t k = op.getTopK();

    Value x = e.buffer(adaptor.getX(), true);
    Value perm = e.buffer(adaptor.getPermutation());
    Value offsets = e.buffer(adaptor.getOffsets());
    Value weights = e.buffer(adaptor.getWeights());
    ExpertWeights w{routed,
                    width,
                    {e.buffer(adaptor.getGateWeights(), true),
                     e.buffer(adaptor.getUpWeights(), true),
                     e.buffer(adaptor.getDownWeights(), true)},
                    {}};
    if (experts > routed)
      w.shared = {e.buffer(adaptor.getSharedGateWeight(), true),
                  e.buffer(adaptor.getSharedUpWeight(), true),
                  e.buffer(adaptor.getSharedDownWeight(), true)};

    Value tokens = e.dim(x, 0), pairs = e.dim(perm, 0);
    Type f32 = rewriter.getF32Type();
    auto rows = [&](int64_t cols) {
      return RankedTensorType::get({ShapedType::kDynamic, cols}, f32);
    };
    Value act = e.alloc(rows(width), pairs);
    Value slots = e.alloc(rows(hidden), pairs);
    Value out = e.alloc(op.getType(), tokens);

    // Runs `body(g, blockBegin, blockEnd, lo, hi, isShared)` for every
    // (expert, block of `block` columns out of `extent`) in parallel.
    auto perExpertBlock = [&](int64_t extent, int64_t block,
                              function_ref<void(Emitter &, Value, Value, Value,
                                                Value, Value, bool)>
                                  body) {
      const int64_t blocks = (extent + block - 1) / block;
      // Items are block-major: the static schedule then splits every
      // expert's blocks evenly over the threads, whichever experts the
      // tokens chose (a decode step uses only k + S of them).
      parallelFor(e, e.index(experts * blocks), [&](Emitter &e, Value it) {
        Value g = e.rem(it, e.index(experts));
        Value blockId = e.div(it, e.index(experts));
        Value begin = e.mul(blockId, e.index(block));
        Value blockEnd = e.add(begin, e.index(block));
        Value end = e.minIndex(blockEnd, e.index(extent));
        Value lo = e.toIndex(e.load(offsets, g));
        Value hi = e.toIndex(e.load(offsets, e.add(g, e.index(1))));
        if (experts == routed) {
          body(e, g, begin, end, lo, hi, false);
          return;
        }
        Value isShared = e.cmpi(arith::CmpIPredicate::uge, g, e.index(routed));
        scf::IfOp::create(
            e.b, e.loc, isShared,
            [&](OpBuilder &b, Location l) {
              Emitter in{b, l};
              body(in, g, begin, end, lo, hi, true);
              scf::YieldOp::create(b, l);
            },
            [&](OpBuilder &b, Location l) {
              Emitter in{b, l};
              body(in, g, begin, end, lo, hi, false);
              scf::YieldOp::create(b, l);
            });
      });
    };

    auto tiles = [&](Emitter &e, Value lo, Value hi, Value begin, Value end,
                     int64_t extent, int64_t block, int64_t cols,
                     TileBody body) {
      std::optional<int64_t> uniform;
      if (extent % block == 0)
        uniform = block;
      forEachTile(e, lo, hi, begin, end, uniform, tiling.rows, cols, body);
    };

    // Phase 1: act[r, n] = silu(x_r . gate_n) * (x_r . up_n).
    perExpertBlock(
        width, tiling.gateUpBlock,
        [&](Emitter &e, Value g, Value begin, Value end, Value lo, Value hi,
            bool isShared) {
          tiles(e, lo, hi, begin, end, width, tiling.gateUpBlock,
                tiling.gateUpCols,
                [&](Emitter &e, ArrayRef<Value> rowIds, ArrayRef<Value> colIds,
                    TileGuard guarded) {
                  SmallVector<Row> as;
                  for (Value r : rowIds) {
                    Value pair = e.toIndex(e.load(perm, r));
                    Value token = e.div(pair, e.index(k));
                    as.push_back({x, {token}, Value()});
                  }
                  SmallVector<Row> gates, ups;
                  for (Value n : colIds) {
                    gates.push_back(w.gateUp(e, 0, g, n, isShared));
                    ups.push_back(w.gateUp(e, 1, g, n, isShared));
                  }
                  auto sums =
                      dotTile(e, hidden, tiling.vectorWidth, as, {gates, ups});
                  for (size_t c = 0; c < colIds.size(); ++c)
                    for (size_t i = 0; i < rowIds.size(); ++i) {
                      Value gv = sums[0][c][i], uv = sums[1][c][i];
                      Value neg = arith::NegFOp::create(e.b, e.loc, gv);
                      Value one = e.f32(1.0);
                      Value denom =
                          e.add(one, math::ExpOp::create(e.b, e.loc, neg));
                      Value a = e.mul(e.div(gv, denom), uv);
                      guarded(e, i, c, [&](Emitter &e) {
                        e.store(a, act, {rowIds[i], colIds[c]});
                      });
                    }
                });
        });

    // Phase 2: slots[pair(r), h] = weight(pair(r)) * (act_r . down_h).
    perExpertBlock(
        hidden, tiling.downBlock,
        [&](Emitter &e, Value g, Value begin, Value end, Value lo, Value hi,
            bool isShared) {
          tiles(
              e, lo, hi, begin, end, hidden, tiling.downBlock, tiling.downCols,
              [&](Emitter &e, ArrayRef<Value> rowIds, ArrayRef<Value> colIds,
                  TileGuard guarded) {
                SmallVector<Row> as;
                SmallVector<Value> pairIds, scales;
                for (Value r : rowIds) {
                  as.push_back({act, {r}, Value()});
                  Value pair = e.toIndex(e.load(perm, r));
                  pairIds.push_back(pair);
                  scales.push_back(e.load(weights, {e.div(pair, e.index(k)),
                                                    e.rem(pair, e.index(k))}));
                }
                SmallVector<Row> downs;
                for (Value h : colIds)
                  downs.push_back(w.down(e, g, h, isShared));
                auto sums = dotTile(e, width, tiling.vectorWidth, as, {downs});
                for (size_t c = 0; c < colIds.size(); ++c)
                  for (size_t i = 0; i < rowIds.size(); ++i) {
                    Value y = e.mul(sums[0][c][i], scales[i]);
                    guarded(e, i, c, [&](Emitter &e) {
                      e.store(y, slots, {pairIds[i], colIds[c]});
                    });
                  }
              });
        });

    // Phase 3: out[t] = sum_j slots[t * k + j], in slot order.
    const int64_t vl = tiling.vectorWidth;
    const int64_t vecEnd = hidden / vl * vl;
    parallelFor(e, tokens, [&](Emitter &e, Value t) {
      Value first = e.mul(t, e.index(k));
      auto sumSlots = [&](Emitter &e, Value h, int64_t lanes) {
        Value acc;
        for (int64_t j = 0; j < k; ++j) {
          Row slot{slots, {e.add(first, e.index(j))}, Value()};
          Value v = loadRow(e, slot, h, lanes);
          acc = acc ? e.add(acc, v) : v;
        }
        return acc;
      };
      e.loop(0, vecEnd, vl, [&](Emitter &e, Value h) {
        vector::StoreOp::create(e.b, e.loc, sumSlots(e, h, vl), out,
                                ValueRange{t, h});
      });
      e.loop(vecEnd, hidden, [&](Emitter &e, Value h) {
        e.store(sumSlots(e, h, 0), out, {t, h});
      });
    });

    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

  ExpertKernelTiling tiling;
};

} // namespace

void moec::lowering::populateExpertFFNToVectorPatterns(
    RewritePatternSet &patterns, const ExpertKernelTiling &tiling) {
  patterns.add<ExpertFFNToVector>(patterns.getContext(), tiling);
}
