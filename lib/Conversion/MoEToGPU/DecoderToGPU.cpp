//===- DecoderToGPU.cpp - the decoder layer around the MLP as kernels -----===//
//
// The ops of a decoder layer around its MLP block, so that a whole forward
// pass runs on the device:
//
//   * moe.embedding: a thread per (token, column);
//   * moe.rms_norm: a warp per token, its lanes summing the squares of
//     every 32nd column, then scaling them;
//   * moe.linear: the expert kernels' down product (ExpertKernels.h): a
//     warp per kRowsPerWarp outputs of a token, the weight rows read
//     contiguously by the lanes together (WarpDots.h), or from 8 tokens on
//     tensor-core tiles for BF16 weights, RoPE and the residual (where
//     they were folded into it) applied before the store; activations that
//     are a view take the warp form reading them one by one (or, with
//     RoPE, are copied into a buffer first);
//   * moe.head_matmul with each head's matrix in Linear layout
//     (transposed): the warp form, a head per warp;
//   * moe.head_matmul with [G, K, N] matrices: a thread per output, the
//     threads of a block reading neighbouring weights;
//   * moe.rope: a thread per (token, value), the angle in f64 as on the CPU;
//   * moe.attention: a warp per (token, query head, chunk of positions).
//     The lanes split the head's key and value dimensions; for a few cached
//     positions at a time, in order, the warp adds up the scores (butterflies
//     of shuffles, every lane the same bits) and updates a running softmax
//     (max, sum, weighted values), so the scores need no buffer. Where the
//     positions are split (decode steps over a long cache), a combine kernel
//     merges the chunks' states in order, so every run gives the same
//     result.
//
//===----------------------------------------------------------------------===//
#include "ExpertKernels.h"
#include "Launch.h"
#include "Patterns.h"
#include "WarpDots.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/RoPEValue.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

struct EmbeddingToGPU : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    Value table = e.buffer(adaptor.getTable());
    Value ids = e.buffer(adaptor.getIds());
    Value tokens = e.dim(ids, 0);
    Value hidden = e.dim(table, 1);
    Value h = e.alloc(op.getType(), tokens);
    launchPerCell(e, "embedding", tokens, hidden,
                  [&](Emitter &e, Value t, Value c) {
                    Value row = arith::IndexCastUIOp::create(
                        e.b, e.loc, e.b.getIndexType(), e.load(ids, t));
                    e.store(e.toF32(e.load(table, {row, c})), h, {t, c});
                  });
    rewriter.replaceOp(op, e.tensor(op.getType(), h));
    return success();
  }
};

struct RMSNormToGPU : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t hidden = op.getX().getType().getDimSize(1);
    if (ShapedType::isDynamic(hidden))
      return rewriter.notifyMatchFailure(op, "needs a static row width");
    const double eps = op.getEpsilon().convertToDouble();
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX());
    Value w = e.buffer(adaptor.getWeight());
    Value tokens = e.dim(x, 0);
    Value y = e.alloc(op.getType(), tokens);
    Value one = e.index(1);
    launchWarpPerCell(
        e, "rms_norm", tokens, one, [&](Emitter &e, const WarpCell &cell) {
          Value t = cell.row, end = e.index(hidden), zero = e.f32(0.0);
          Value squares = e.loop(
              cell.lane, end, {zero},
              [&](Emitter &e, Value c, ValueRange acc) {
                Value v = e.load(x, {t, c});
                return SmallVector<Value>{e.add(acc[0], e.mul(v, v))};
              },
              kWarpSize)[0];
          Value sum = warpSum(e, squares)[0];
          Value mean = e.div(sum, e.f32(static_cast<double>(hidden)));
          Value variance = e.add(mean, e.f32(eps));
          Value root = math::SqrtOp::create(e.b, e.loc, variance);
          Value inv = e.div(e.f32(1.0), root);
          e.loop(
              cell.lane, end,
              [&](Emitter &e, Value c) {
                Value normed = e.mul(e.load(x, {t, c}), inv);
                e.store(e.mul(normed, e.toF32(e.load(w, c))), y, {t, c});
              },
              kWarpSize);
        });
    rewriter.replaceOp(op, e.tensor(op.getType(), y));
    return success();
  }
};

/// Whether `tensor` is a whole buffer of identity layout: a device
/// allocation whose rows of a static width start aligned.
bool isWholeBuffer(Value tensor) {
  auto whole = tensor.getDefiningOp<bufferization::ToTensorOp>();
  return whole &&
         cast<MemRefType>(whole.getBuffer().getType()).getLayout().isIdentity();
}

struct LinearToGPU : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType weightType = op.getWeight().getType();
    const int64_t outputs = weightType.getDimSize(0),
                  depth = weightType.getDimSize(1);
    Emitter e{rewriter, op.getLoc()};
    Value w = e.buffer(adaptor.getWeight(), /*unitInnerStride=*/true);
    Value x;
    if (isWholeBuffer(adaptor.getX())) {
      x = e.buffer(adaptor.getX(), /*unitInnerStride=*/true);
    } else if (op.getRopeAttr()) {
      // Only the expert kernels turn RoPE pairs, and they read whole rows:
      // the view's rows are copied into a buffer of their own.
      Value view = e.buffer(adaptor.getX());
      x = e.alloc(op.getX().getType(), e.dim(view, 0));
      memref::CopyOp::create(e.b, e.loc, view, x);
    }
    if (x) {
      // The expert kernels' down product, tiles from 8 rows on.
      Value residual =
          adaptor.getResidual() ? e.buffer(adaptor.getResidual()) : Value();
      Value y = emitLinearKernels(e, x, w, residual, op.getRopeAttr(),
                                  adaptor.getRopeStart(), op.getType());
      rewriter.replaceOp(op, e.tensor(op.getType(), y));
      return success();
    }
    x = e.buffer(adaptor.getX());
    Value residual =
        adaptor.getResidual() ? e.buffer(adaptor.getResidual()) : Value();
    Value tokens = e.dim(x, 0);
    Value y = e.alloc(op.getType(), tokens);
    emitWarpProducts(e, "linear", x, y, residual, /*heads=*/1, outputs, depth,
                     [&](Emitter &e, Value, Value n, Value k) {
                       return loadVector(e, w, {n, k}, vectorWidth(depth));
                     });
    rewriter.replaceOp(op, e.tensor(op.getType(), y));
    return success();
  }
};

struct HeadMatmulToGPU : OpConversionPattern<HeadMatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(HeadMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t heads = op.getNumHeads(), depth = op.getInputDim(),
                  outputs = op.getOutputDim();
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX());
    Value w = e.buffer(adaptor.getWeights(), /*unitInnerStride=*/true);
    Value tokens = e.dim(x, 0);
    Value y = e.alloc(op.getType(), tokens);
    if (op.getTransposed()) {
      emitWarpProducts(e, "head_matmul_t", x, y, /*residual=*/Value(), heads,
                       outputs, depth,
                       [&](Emitter &e, Value g, Value n, Value k) {
                         return loadVector(e, w, {g, n, k}, vectorWidth(depth));
                       });
    } else {
      // w[g, k, n]: neighbouring threads read neighbouring n.
      Value columns = e.index(heads * outputs);
      launchPerCell(
          e, "head_matmul", tokens, columns, [&](Emitter &e, Value t, Value c) {
            Value n = e.index(outputs);
            Value g = e.div(c, n);
            Value j = e.rem(c, n);
            Value xBase = e.mul(g, e.index(depth));
            Value zero = e.index(0), end = e.index(depth), acc = e.f32(0.0);
            Value sum = e.loop(
                zero, end, {acc}, [&](Emitter &e, Value k, ValueRange s) {
                  Value a = e.load(x, {t, e.add(xBase, k)});
                  Value b = e.toF32(e.load(w, {g, k, j}));
                  return SmallVector<Value>{e.add(s[0], e.mul(a, b))};
                })[0];
            e.store(sum, y, {t, c});
          });
    }
    rewriter.replaceOp(op, e.tensor(op.getType(), y));
    return success();
  }
};

struct RoPEToGPU : OpConversionPattern<RoPEOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RoPEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RoPEAttr rope = op.getRope();
    const int64_t width = op.getX().getType().getDimSize(1);
    if (ShapedType::isDynamic(width))
      return rewriter.notifyMatchFailure(op, "needs a static row width");
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX());
    Value start = adaptor.getStart();
    Value tokens = e.dim(x, 0);
    Value y = e.alloc(op.getType(), tokens);
    Value columns = e.index(width);
    launchPerCell(
        e, "rope", tokens, columns, [&](Emitter &e, Value t, Value c) {
          Value position = e.add(start, t);
          Value rotated = emitRoPEValue(
              e, c, position, rope,
              [&](Emitter &e, Value j) { return inverseFrequency(e, rope, j); },
              [&](Emitter &e, Value column) {
                return e.load(x, {t, column});
              });
          e.store(rotated, y, {t, c});
        });
    rewriter.replaceOp(op, e.tensor(op.getType(), y));
    return success();
  }
};

/// Lane `lane`'s elements i of a head of `dim` values: lane + 32 i, clamped
/// to the head (loads stay in bounds), and whether each is a real one.
struct LaneColumns {
  SmallVector<Value> at, real;
  LaneColumns(Emitter &e, Value lane, int64_t dim) {
    Value last = e.index(dim - 1), count = e.index(dim);
    for (int64_t i = 0; i * kWarpSize < dim; ++i) {
      Value d = e.add(lane, e.index(i * kWarpSize));
      real.push_back(e.cmpi(arith::CmpIPredicate::ult, d, count));
      at.push_back(e.minIndex(d, last));
    }
  }
};

// Attention's parallelism is tokens x heads warps, which a decode step
// leaves at a few dozen: too few to read a long cache at the device's
// bandwidth, and each warp's walk over the positions is a chain of
// dependent butterflies. So the host splits the positions into chunks
// until the (token, head, chunk) warps reach kAttentionWarps, but into no
// more chunks than of kMinChunkPositions each; each warp writes its chunk's
// running softmax (max, sum, weighted values), and a combine kernel merges
// the chunks in order (flash-decoding). A prefill's warps are many already:
// one chunk, whose warp writes the result itself.
constexpr int64_t kAttentionWarps = 1024, kMinChunkPositions = 64;

/// How the cached positions of a call are split: `chunks` of `positions`
/// each (the last ones may be shorter, or empty, as is every chunk past a
/// token's own position), and whether there is more than one.
struct PositionChunks {
  Value chunks, positions, split;
  PositionChunks(Emitter &e, Value tokens, Value start, int64_t heads) {
    Value length = e.add(start, tokens);
    Value warps = e.mul(tokens, e.index(heads));
    Value wanted = ceilDiv(e, e.index(kAttentionWarps), warps);
    Value most = ceilDiv(e, length, kMinChunkPositions);
    chunks = e.minIndex(wanted, most);
    positions = ceilDiv(e, length, chunks);
    split = e.cmpi(arith::CmpIPredicate::ugt, chunks, e.index(1));
  }
  /// The state row of (token t, head h)'s first chunk in the scratch
  /// buffers: (t * heads + h) * chunks.
  Value firstRow(Emitter &e, Value t, Value h, int64_t heads) const {
    return e.mul(e.add(e.mul(t, e.index(heads)), h), chunks);
  }
};

/// A warp's running softmax over positions: max, sum of exponentials, and
/// the lane's weighted values.
struct RunningSoftmax {
  Value max, sum;
  SmallVector<Value> weighted;
  SmallVector<Value> flat() const {
    SmallVector<Value> v{max, sum};
    llvm::append_range(v, weighted);
    return v;
  }
  static RunningSoftmax of(ValueRange v) {
    return {v[0], v[1], SmallVector<Value>(v.drop_front(2))};
  }
};

struct AttentionToGPU : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t valueDim = op.getValueDim(), heads = op.getNumHeads();
    Emitter e{rewriter, op.getLoc()};
    Value q = e.buffer(adaptor.getQ());
    Value start = adaptor.getStart();
    Value tokens = e.dim(q, 0);
    Value out = e.alloc(op.getType(), tokens);
    PositionChunks chunks(e, tokens, start, heads);
    // The chunks' states, chunk c of (t, h) at firstRow(t, h) + c; a row
    // where the positions are not split.
    Value rows = e.mul(e.mul(tokens, e.index(heads)), chunks.chunks);
    Value scratchRows = e.select(chunks.split, rows, e.index(1));
    Type f32 = rewriter.getF32Type();
    auto rowsOf = [&](int64_t n) {
      return RankedTensorType::get({ShapedType::kDynamic, n}, f32);
    };
    Value partial = e.alloc(rowsOf(valueDim), scratchRows);
    Value stats = e.alloc(rowsOf(2), scratchRows);
    emitChunks(e, op, adaptor, q, out, chunks, partial, stats);
    e.when(chunks.split, [&](Emitter &e) {
      emitCombine(e, tokens, heads, valueDim, chunks, partial, stats, out);
    });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

  /// A warp per (token, query head, chunk): the running softmax over the
  /// chunk's positions up to the token's own, positionsPerStep at a time
  /// so that their butterflies interleave; then the result (one chunk) or
  /// the chunk's state.
  static void emitChunks(Emitter &e, AttentionOp op, OpAdaptor adaptor, Value q,
                         Value out, const PositionChunks &chunks, Value partial,
                         Value stats) {
    const int64_t keyDim = op.getKeyDim(), valueDim = op.getValueDim(),
                  heads = op.getNumHeads(), group = heads / op.getNumKvHeads();
    const double scale = op.getScaleOrDefault();
    Value keys = e.buffer(adaptor.getKeys());
    Value values = e.buffer(adaptor.getValues());
    Value start = adaptor.getStart();
    Value tokens = e.dim(q, 0);
    // Each position in flight holds a lane's keys and values in registers.
    const int64_t perLane = (keyDim + kWarpSize - 1) / kWarpSize +
                            (valueDim + kWarpSize - 1) / kWarpSize;
    const int64_t positionsPerStep = perLane <= 12 ? 4 : 2;
    Value cells = e.mul(e.index(heads), chunks.chunks);
    launchWarpPerCell(
        e, "attention", tokens, cells, [&](Emitter &e, const WarpCell &cell) {
          Value t = cell.row;
          Value h = e.div(cell.cell, chunks.chunks);
          Value c = e.rem(cell.cell, chunks.chunks);
          Value kv = e.div(h, e.index(group));
          LaneColumns ks(e, cell.lane, keyDim), vs(e, cell.lane, valueDim);
          Value zero = e.f32(0.0);
          Value qBase = e.mul(h, e.index(keyDim));
          SmallVector<Value> query;
          for (auto [d, real] : llvm::zip_equal(ks.at, ks.real)) {
            Value v = e.load(q, {t, e.add(qBase, d)});
            query.push_back(e.select(real, v, zero));
          }
          // The chunk's positions [first, end), end past the token's own.
          Value first = e.mul(c, chunks.positions);
          Value own = e.add(e.add(start, t), e.index(1));
          Value end = e.minIndex(own, e.add(first, chunks.positions));
          Value live = e.cmpi(arith::CmpIPredicate::ult, first, end);
          Value count = e.select(live, e.sub(end, first), e.index(0));
          Value steps = ceilDiv(e, count, positionsPerStep);
          Value last = e.sub(end, e.index(1));
          Value lowest = e.f32(-std::numeric_limits<double>::infinity());
          RunningSoftmax init{lowest, zero,
                              SmallVector<Value>(vs.at.size(), zero)};
          ValueRange state = e.loop(
              e.index(0), steps, init.flat(),
              [&](Emitter &e, Value step, ValueRange acc) {
                Value base =
                    e.add(first, e.mul(step, e.index(positionsPerStep)));
                SmallVector<Value> at, real, partials;
                for (int64_t i = 0; i < positionsPerStep; ++i) {
                  Value s = e.add(base, e.index(i));
                  real.push_back(e.cmpi(arith::CmpIPredicate::ult, s, end));
                  at.push_back(e.minIndex(s, last));
                  Value sum = e.f32(0.0);
                  for (auto [qd, d] : llvm::zip_equal(query, ks.at)) {
                    Value k = e.toF32(e.load(keys, {kv, at.back(), d}));
                    sum = e.add(sum, e.mul(qd, k));
                  }
                  partials.push_back(sum);
                }
                SmallVector<Value> dots = warpSum(e, partials);
                RunningSoftmax old = RunningSoftmax::of(acc);
                SmallVector<Value> scores;
                Value max = old.max;
                for (int64_t i = 0; i < positionsPerStep; ++i) {
                  Value score = e.mul(dots[i], e.f32(scale));
                  scores.push_back(e.select(real[i], score, lowest));
                  max =
                      arith::MaximumFOp::create(e.b, e.loc, max, scores.back());
                }
                Value correction = expOfDifference(e, old.max, max);
                RunningSoftmax next{max, e.mul(old.sum, correction), {}};
                for (Value w : old.weighted)
                  next.weighted.push_back(e.mul(w, correction));
                for (int64_t i = 0; i < positionsPerStep; ++i) {
                  Value p = expOfDifference(e, scores[i], max);
                  next.sum = e.add(next.sum, p);
                  for (auto [j, d] : llvm::enumerate(vs.at)) {
                    Value v = e.toF32(e.load(values, {kv, at[i], d}));
                    next.weighted[j] = e.add(next.weighted[j], e.mul(p, v));
                  }
                }
                return next.flat();
              });
          RunningSoftmax result = RunningSoftmax::of(state);
          e.when(
              chunks.split,
              [&](Emitter &e) {
                Value row = e.add(chunks.firstRow(e, t, h, heads), c);
                storeFromLaneZero(e, cell, cell.real, [&](Emitter &e) {
                  e.store(result.max, stats, {row, e.index(0)});
                  e.store(result.sum, stats, {row, e.index(1)});
                });
                for (size_t i = 0; i < vs.at.size(); ++i) {
                  Value real = e.andi(cell.real, vs.real[i]);
                  e.when(real, [&](Emitter &e) {
                    e.store(result.weighted[i], partial, {row, vs.at[i]});
                  });
                }
              },
              [&](Emitter &e) {
                Value outBase = e.mul(h, e.index(valueDim));
                for (size_t i = 0; i < vs.at.size(); ++i) {
                  Value real = e.andi(cell.real, vs.real[i]);
                  Value column = e.add(outBase, vs.at[i]);
                  e.when(real, [&](Emitter &e) {
                    e.store(e.div(result.weighted[i], result.sum), out,
                            {t, column});
                  });
                }
              });
        });
  }

  /// A thread per (token, output column): the chunks' states merged in
  /// chunk order.
  static void emitCombine(Emitter &e, Value tokens, int64_t heads,
                          int64_t valueDim, const PositionChunks &chunks,
                          Value partial, Value stats, Value out) {
    Value columns = e.index(heads * valueDim);
    launchPerCell(
        e, "attention_combine", tokens, columns,
        [&](Emitter &e, Value t, Value column) {
          Value h = e.div(column, e.index(valueDim));
          Value d = e.rem(column, e.index(valueDim));
          Value firstRow = chunks.firstRow(e, t, h, heads);
          Value lowest = e.f32(-std::numeric_limits<double>::infinity());
          Value zero = e.f32(0.0);
          ValueRange merged = e.loop(
              e.index(0), chunks.chunks, {lowest, zero, zero},
              [&](Emitter &e, Value c, ValueRange acc) -> SmallVector<Value> {
                Value row = e.add(firstRow, c);
                Value max = e.load(stats, {row, e.index(0)});
                Value sum = e.load(stats, {row, e.index(1)});
                Value weighted = e.load(partial, {row, d});
                Value both = arith::MaximumFOp::create(e.b, e.loc, acc[0], max);
                Value kept = expOfDifference(e, acc[0], both);
                Value added = expOfDifference(e, max, both);
                return {both, e.add(e.mul(acc[1], kept), e.mul(sum, added)),
                        e.add(e.mul(acc[2], kept), e.mul(weighted, added))};
              });
          e.store(e.div(merged[2], merged[1]), out, {t, column});
        });
  }

  /// exp(a - b): 0 where a is -inf and b finite.
  static Value expOfDifference(Emitter &e, Value a, Value b) {
    Value difference = arith::SubFOp::create(e.b, e.loc, a, b);
    return math::ExpOp::create(e.b, e.loc, difference);
  }
};

} // namespace

void moec::lowering::populateDecoderToGPUPatterns(RewritePatternSet &patterns) {
  patterns.add<EmbeddingToGPU, RMSNormToGPU, LinearToGPU, HeadMatmulToGPU,
               RoPEToGPU, AttentionToGPU>(patterns.getContext());
}
