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

#include "MoE/MoEOps.h"
#include "moec/Conversion/Emitter.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using moec::lowering::Emitter;

namespace {

/// One operand row of a dot product: the elements mem[prefix..., base + c]
/// for c along the contracted dimension.
struct Row {
  Value mem;
  SmallVector<Value, 3> prefix;
  Value base; // null: 0
};

SmallVector<Value, 3> rowIndices(Emitter &e, const Row &row, Value c) {
  SmallVector<Value, 3> idx(row.prefix);
  idx.push_back(row.base ? e.add(row.base, c) : c);
  return idx;
}

/// Loads `width` elements of `row` at `c` as f32 (a vector, or a scalar for
/// width 0), widening bf16/f16 weights in registers.
Value loadRow(Emitter &e, const Row &row, Value c, int64_t width) {
  SmallVector<Value, 3> idx = rowIndices(e, row, c);
  Type elem = cast<MemRefType>(row.mem.getType()).getElementType();
  if (width == 0)
    return e.toF32(e.load(row.mem, idx));
  auto type = VectorType::get({width}, elem);
  Value v = vector::LoadOp::create(e.b, e.loc, type, row.mem, idx);
  if (elem.isF32())
    return v;
  return arith::ExtFOp::create(e.b, e.loc,
                               VectorType::get({width}, e.b.getF32Type()), v);
}

/// Dot products of length `length` between each row of `as` and each row of
/// every set in `bSets`. Returns sums[set][b][a]. Vector accumulators over
/// the multiple-of-`width` part, scalar ones over the tail.
SmallVector<SmallVector<SmallVector<Value>>>
dotTile(Emitter &e, int64_t length, int64_t width, ArrayRef<Row> as,
        ArrayRef<SmallVector<Row>> bSets) {
  const int64_t nA = as.size(), nB = bSets.front().size(), nSets = bSets.size();
  auto flat = [&](int64_t s, int64_t b, int64_t a) {
    return (s * nB + b) * nA + a;
  };
  const int64_t vecEnd = length / width * width;
  auto vecType = VectorType::get({width}, e.b.getF32Type());
  Value zeroVec = arith::ConstantOp::create(
      e.b, e.loc, DenseElementsAttr::get(vecType, e.b.getF32FloatAttr(0.0)));
  SmallVector<Value> init(nSets * nB * nA, zeroVec);
  ValueRange accs = e.loop(
      e.index(0), e.index(vecEnd), init,
      [&](Emitter &e, Value c, ValueRange acc) -> SmallVector<Value> {
        SmallVector<Value> next(acc.begin(), acc.end());
        SmallVector<Value> aVecs;
        for (const Row &a : as)
          aVecs.push_back(loadRow(e, a, c, width));
        for (int64_t s = 0; s < nSets; ++s)
          for (int64_t b = 0; b < nB; ++b) {
            Value bVec = loadRow(e, bSets[s][b], c, width);
            for (int64_t a = 0; a < nA; ++a)
              next[flat(s, b, a)] = vector::FMAOp::create(
                  e.b, e.loc, aVecs[a], bVec, next[flat(s, b, a)]);
          }
        return next;
      },
      /*step=*/width);
  SmallVector<Value> sums;
  for (Value acc : accs)
    sums.push_back(vector::ReductionOp::create(
        e.b, e.loc, vector::CombiningKind::ADD, acc, Value(),
        arith::FastMathFlags::reassoc));
  if (vecEnd < length) {
    ValueRange tail = e.loop(
        e.index(vecEnd), e.index(length), sums,
        [&](Emitter &e, Value c, ValueRange acc) -> SmallVector<Value> {
          SmallVector<Value> next(acc.begin(), acc.end());
          for (int64_t s = 0; s < nSets; ++s)
            for (int64_t b = 0; b < nB; ++b) {
              Value bv = loadRow(e, bSets[s][b], c, 0);
              for (int64_t a = 0; a < nA; ++a)
                next[flat(s, b, a)] = e.add(
                    next[flat(s, b, a)], e.mul(loadRow(e, as[a], c, 0), bv));
            }
          return next;
        });
    sums.assign(tail.begin(), tail.end());
  }
  SmallVector<SmallVector<SmallVector<Value>>> result(
      nSets, SmallVector<SmallVector<Value>>(nB, SmallVector<Value>(nA)));
  for (int64_t s = 0; s < nSets; ++s)
    for (int64_t b = 0; b < nB; ++b)
      for (int64_t a = 0; a < nA; ++a)
        result[s][b][a] = sums[flat(s, b, a)];
  return result;
}

/// A parallel loop over [0, count): the body runs once per item.
void parallelFor(Emitter &e, Value count,
                 function_ref<void(Emitter &, Value)> body) {
  auto forall = scf::ForallOp::create(
      e.b, e.loc, ArrayRef<OpFoldResult>{e.b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{count}, ArrayRef<OpFoldResult>{e.b.getIndexAttr(1)},
      ValueRange{}, std::nullopt);
  OpBuilder::InsertionGuard guard(e.b);
  e.b.setInsertionPoint(forall.getTerminator());
  Emitter inner{e.b, e.loc};
  body(inner, forall.getInductionVar(0));
}

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
    Value block = e.mul(e.sub(g, e.index(routed)), e.index(width));
    return {shared[which], {e.add(block, r)}, Value()};
  }
  /// Row `h` of down of expert g, contracted over I.
  Row down(Emitter &e, Value g, Value h, bool isShared) const {
    if (!isShared)
      return {stacked[2], {g, h}, Value()};
    Value block = e.mul(e.sub(g, e.index(routed)), e.index(width));
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
    ExpertWeights w{routed, width,
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
    auto perExpertBlock =
        [&](int64_t extent, int64_t block,
            function_ref<void(Emitter &, Value, Value, Value, Value, Value,
                              bool)>
                body) {
          const int64_t blocks = (extent + block - 1) / block;
          // Items are block-major: the static schedule then splits every
          // expert's blocks evenly over the threads, whichever experts the
          // tokens chose (a decode step uses only k + S of them).
          parallelFor(e, e.index(experts * blocks), [&](Emitter &e, Value it) {
            Value g = e.rem(it, e.index(experts));
            Value begin = e.mul(e.div(it, e.index(experts)), e.index(block));
            Value end = e.minIndex(e.add(begin, e.index(block)),
                                   e.index(extent));
            Value lo = e.toIndex(e.load(offsets, g));
            Value hi = e.toIndex(e.load(offsets, e.add(g, e.index(1))));
            if (experts == routed) {
              body(e, g, begin, end, lo, hi, false);
              return;
            }
            Value isShared =
                e.cmpi(arith::CmpIPredicate::uge, g, e.index(routed));
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

    // Visits the register tiles of rows [lo, hi) x columns [begin, end):
    // full tiles of `tiling.rows` rows x `cols` columns, then single rows
    // (a decode step has one row per expert) with `tiling.rows` times the
    // columns: the same number of accumulators, and more weight rows in
    // flight for a memory-bound step. Columns past `end` repeat the last one;
    // `store` is only called for real ones.
    using Guard = function_ref<void(Emitter &, int64_t, int64_t,
                                    function_ref<void(Emitter &)>)>;
    using TileBody = function_ref<void(Emitter &, ArrayRef<Value> rowIds,
                                       ArrayRef<Value> colIds, Guard)>;
    // When every block is full and a multiple of the tile width (the usual
    // case: 1408 and 2048 split into blocks of 64), columns need no clamp
    // and no guard, and the tile's weight rows are affine in one base
    // pointer.
    auto tiles = [&](Emitter &e, Value lo, Value hi, Value begin, Value end,
                     int64_t extent, int64_t block, int64_t cols,
                     TileBody body) {
      auto visit = [&](Emitter &e, Value m0, int64_t rows, int64_t cols) {
        const bool exact = extent % block == 0 && block % cols == 0;
        SmallVector<Value> rowIds;
        for (int64_t i = 0; i < rows; ++i)
          rowIds.push_back(e.add(m0, e.index(i)));
        e.loop(begin, end, {}, [&](Emitter &e, Value n0, ValueRange) {
          SmallVector<Value> colIds, colValid;
          for (int64_t c = 0; c < cols; ++c) {
            Value n = e.add(n0, e.index(c));
            if (exact) {
              colIds.push_back(n);
              continue;
            }
            colValid.push_back(e.cmpi(arith::CmpIPredicate::ult, n, end));
            colIds.push_back(e.minIndex(n, e.sub(end, e.index(1))));
          }
          body(e, rowIds, colIds,
               [&](Emitter &e, int64_t, int64_t c,
                   function_ref<void(Emitter &)> store) {
                 if (exact)
                   store(e);
                 else
                   e.when(colValid[c], store);
               });
          return SmallVector<Value>();
        }, cols);
      };
      Value count = e.sub(hi, lo);
      Value fullEnd = e.add(
          lo, e.mul(e.div(count, e.index(tiling.rows)), e.index(tiling.rows)));
      e.loop(lo, fullEnd, {}, [&](Emitter &e, Value m0, ValueRange) {
        visit(e, m0, tiling.rows, cols);
        return SmallVector<Value>();
      }, tiling.rows);
      e.loop(fullEnd, hi,
             [&](Emitter &e, Value m) { visit(e, m, 1, cols * tiling.rows); });
    };

    // Phase 1: act[r, n] = silu(x_r . gate_n) * (x_r . up_n).
    perExpertBlock(width, tiling.gateUpBlock,
                   [&](Emitter &e, Value g, Value begin, Value end, Value lo,
                       Value hi, bool isShared) {
      tiles(e, lo, hi, begin, end, width, tiling.gateUpBlock,
            tiling.gateUpCols,
            [&](Emitter &e, ArrayRef<Value> rowIds, ArrayRef<Value> colIds,
                auto guarded) {
              SmallVector<Row> as;
              for (Value r : rowIds) {
                Value token =
                    e.div(e.toIndex(e.load(perm, r)), e.index(k));
                as.push_back({x, {token}, Value()});
              }
              SmallVector<Row> gates, ups;
              for (Value n : colIds) {
                gates.push_back(w.gateUp(e, 0, g, n, isShared));
                ups.push_back(w.gateUp(e, 1, g, n, isShared));
              }
              auto sums = dotTile(e, hidden, tiling.vectorWidth, as,
                                  {gates, ups});
              for (size_t c = 0; c < colIds.size(); ++c)
                for (size_t i = 0; i < rowIds.size(); ++i) {
                  Value gv = sums[0][c][i], uv = sums[1][c][i];
                  Value neg = arith::NegFOp::create(e.b, e.loc, gv);
                  Value denom =
                      e.add(e.f32(1.0), math::ExpOp::create(e.b, e.loc, neg));
                  Value a = e.mul(e.div(gv, denom), uv);
                  guarded(e, i, c, [&](Emitter &e) {
                    e.store(a, act, {rowIds[i], colIds[c]});
                  });
                }
            });
    });

    // Phase 2: slots[pair(r), h] = weight(pair(r)) * (act_r . down_h).
    perExpertBlock(hidden, tiling.downBlock,
                   [&](Emitter &e, Value g, Value begin, Value end, Value lo,
                       Value hi, bool isShared) {
      tiles(e, lo, hi, begin, end, hidden, tiling.downBlock, tiling.downCols,
            [&](Emitter &e, ArrayRef<Value> rowIds, ArrayRef<Value> colIds,
                auto guarded) {
              SmallVector<Row> as;
              SmallVector<Value> pairIds, scales;
              for (Value r : rowIds) {
                as.push_back({act, {r}, Value()});
                Value pair = e.toIndex(e.load(perm, r));
                pairIds.push_back(pair);
                scales.push_back(e.load(
                    weights, {e.div(pair, e.index(k)), e.rem(pair, e.index(k))}));
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
      e.loop(e.index(0), e.index(vecEnd), {}, [&](Emitter &e, Value h,
                                                  ValueRange) {
        vector::StoreOp::create(e.b, e.loc, sumSlots(e, h, vl), out,
                                ValueRange{t, h});
        return SmallVector<Value>();
      }, vl);
      e.loop(e.index(vecEnd), e.index(hidden), [&](Emitter &e, Value h) {
        e.store(sumSlots(e, h, 0), out, {t, h});
      });
    });

    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

  ExpertKernelTiling tiling;
};

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

    Value tileCount =
        e.div(e.add(tokens, e.index(rows - 1)), e.index(rows));
    parallelFor(e, tileCount, [&](Emitter &e, Value tile) {
      Value lo = e.mul(tile, e.index(rows));
      Value hi = e.minIndex(e.add(lo, e.index(rows)), tokens);
      // Logits of rows [lo, hi): rows past hi repeat the last and are not
      // stored; expert columns likewise.
      e.loop(e.index(0), e.index(experts), {}, [&](Emitter &e, Value n0,
                                                   ValueRange) {
        SmallVector<Row> as, bs;
        SmallVector<Value> rowIds, colIds;
        for (int64_t i = 0; i < rows; ++i) {
          rowIds.push_back(
              e.minIndex(e.add(lo, e.index(i)), e.sub(hi, e.index(1))));
          as.push_back({x, {rowIds.back()}, Value()});
        }
        for (int64_t c = 0; c < cols; ++c) {
          colIds.push_back(e.minIndex(e.add(n0, e.index(c)),
                                      e.index(experts - 1)));
          bs.push_back({w, {colIds.back()}, Value()});
        }
        auto sums = dotTile(e, hidden, tiling.vectorWidth, as, {bs});
        for (int64_t c = 0; c < cols; ++c)
          for (int64_t i = 0; i < rows; ++i) {
            Value valid = e.andi(
                e.cmpi(arith::CmpIPredicate::ult, e.add(lo, e.index(i)), hi),
                e.cmpi(arith::CmpIPredicate::ult, e.add(n0, e.index(c)),
                       e.index(experts)));
            e.when(valid, [&](Emitter &e) {
              e.store(sums[0][c][i], scores, {rowIds[i], colIds[c]});
            });
          }
        return SmallVector<Value>();
      }, cols);
      e.loop(lo, hi, [&](Emitter &e, Value t) {
        normalizeRow(e, scores, t, experts, sigmoid);
      });
    });
    rewriter.replaceOp(op, e.tensor(op.getType(), scores));
    return success();
  }

  /// scores[t, :] = softmax (shifted by the row maximum) or sigmoid of the
  /// logits stored there.
  static void normalizeRow(Emitter &e, Value scores, Value t, int64_t experts,
                           bool sigmoid) {
    Value zero = e.index(0), end = e.index(experts);
    auto exp = [&](Emitter &e, Value v) {
      return math::ExpOp::create(e.b, e.loc, v).getResult();
    };
    if (sigmoid) {
      e.loop(zero, end, [&](Emitter &e, Value x) {
        Value neg = arith::NegFOp::create(e.b, e.loc, e.load(scores, {t, x}));
        Value s = e.div(e.f32(1.0), e.add(e.f32(1.0), exp(e, neg)));
        e.store(s, scores, {t, x});
      });
      return;
    }
    Value max = e.loop(zero, end, {e.f32(-INFINITY)},
                       [&](Emitter &e, Value x, ValueRange acc)
                           -> SmallVector<Value> {
                         return {arith::MaximumFOp::create(
                             e.b, e.loc, acc[0], e.load(scores, {t, x}))};
                       })[0];
    Value sum = e.loop(zero, end, {e.f32(0.0)},
                       [&](Emitter &e, Value x, ValueRange acc)
                           -> SmallVector<Value> {
                         Value shifted = arith::SubFOp::create(
                             e.b, e.loc, e.load(scores, {t, x}), max);
                         Value v = exp(e, shifted);
                         e.store(v, scores, {t, x});
                         return {e.add(acc[0], v)};
                       })[0];
    e.loop(zero, end, [&](Emitter &e, Value x) {
      e.store(e.div(e.load(scores, {t, x}), sum), scores, {t, x});
    });
  }

  ExpertKernelTiling tiling;
};

/// A dense SwiGLU MLP (shared experts kept apart, dense layers) is the
/// fused expert op with one expert that every token reaches with weight 1:
/// identity permutation, offsets [0, T], weights [T, 1] of ones, and the
/// weights as a stack of one.
struct SwiGLUAsExpertFFN : OpConversionPattern<SwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SwiGLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getX().getType().isDynamicDim(1) ||
        op.getGateWeight().getType().isDynamicDim(0))
      return rewriter.notifyMatchFailure(op, "needs static H and width");
    Location loc = op.getLoc();
    Emitter e{rewriter, loc};
    Value x = adaptor.getX();
    Value tokens = e.dim(x, 0);
    Type i32 = rewriter.getI32Type();
    auto permType = RankedTensorType::get({ShapedType::kDynamic}, i32);
    Value perm = tensor::GenerateOp::create(
        rewriter, loc, permType, ValueRange{tokens},
        [](OpBuilder &b, Location l, ValueRange idx) {
          Emitter in{b, l};
          tensor::YieldOp::create(b, l, in.toI32(idx[0]));
        });
    Value offsets = tensor::FromElementsOp::create(
        rewriter, loc, RankedTensorType::get({2}, i32),
        ValueRange{e.i32(0), e.toI32(tokens)});
    auto weightsType = RankedTensorType::get(
        {op.getX().getType().getDimSize(0), 1}, rewriter.getF32Type());
    SmallVector<Value> dyn;
    if (weightsType.isDynamicDim(0))
      dyn.push_back(tokens);
    Value ones = linalg::FillOp::create(
                     rewriter, loc, e.f32(1.0),
                     tensor::EmptyOp::create(rewriter, loc, weightsType, dyn)
                         .getResult())
                     .getResult(0);
    auto stackOfOne = [&](Value w) -> Value {
      auto type = cast<RankedTensorType>(w.getType());
      auto stacked = RankedTensorType::get(
          {1, type.getDimSize(0), type.getDimSize(1)}, type.getElementType());
      return tensor::ExpandShapeOp::create(
          rewriter, loc, stacked, w, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    };
    rewriter.replaceOpWithNewOp<ExpertFFNOp>(
        op, op.getType(), x, perm, offsets, ones,
        stackOfOne(adaptor.getGateWeight()), stackOfOne(adaptor.getUpWeight()),
        stackOfOne(adaptor.getDownWeight()), Value(), Value(), Value());
    return success();
  }
};

} // namespace

void moec::populateExpertFFNToVectorPatterns(RewritePatternSet &patterns,
                                             const ExpertKernelTiling &tiling) {
  patterns.add<ExpertFFNToVector, RouterScoresToVector>(patterns.getContext(),
                                                       tiling);
  patterns.add<SwiGLUAsExpertFFN>(patterns.getContext());
}
