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
//     tensor-core tiles for BF16 weights; with a residual, or activations
//     that are a view, the warp form reading the activations one by one;
//   * moe.head_matmul with each head's matrix in Linear layout
//     (transposed): the warp form, a head per warp;
//   * moe.head_matmul with [G, K, N] matrices: a thread per output, the
//     threads of a block reading neighbouring weights;
//   * moe.rope: a thread per (token, value), the angle in f64 as on the CPU;
//   * moe.attention: a warp per (token, query head). The lanes split the
//     head's key and value dimensions; for each cached position in order the
//     warp adds up the score (a butterfly of shuffles, every lane the same
//     bits) and updates a running softmax (max, sum, weighted values), so
//     the scores need no buffer and every run gives the same result.
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

/// Outputs [rows, G * N] of G heads of N outputs each, a warp per
/// kRowsPerWarp outputs of one head of one row: out[t, g * N + n] =
/// residual[t, g * N + n] + sum_k x[t, g * K + k] * w(g, n, k), where
/// `weightAt(e, g, n, k)` loads vectorWidth(K) weights along k.
void emitWarpProducts(
    Emitter &e, StringRef name, Value x, Value out, Value residual,
    int64_t heads, int64_t outputs, int64_t depth,
    function_ref<Value(Emitter &, Value, Value, Value)> weightAt) {
  const int64_t width = vectorWidth(depth);
  const int64_t cellsPerHead = (outputs + kRowsPerWarp - 1) / kRowsPerWarp;
  Value tokens = e.dim(x, 0);
  Value cells = e.index(heads * cellsPerHead);
  launchWarpPerCell(
      e, name, tokens, cells, [&](Emitter &e, const WarpCell &cell) {
        Value perHead = e.index(cellsPerHead);
        Value g = e.div(cell.cell, perHead);
        Value inHead = e.rem(cell.cell, perHead);
        CellRows ns(e, WarpCell{cell.row, inHead, cell.lane, cell.real},
                    outputs);
        Value t = cell.row;
        Value xBase = e.mul(g, e.index(depth));
        Value outBase = e.mul(g, e.index(outputs));
        SmallVector<Value> partial = laneDots(
            e, depth, cell.lane, kRowsPerWarp,
            [&](Emitter &e, Value k) {
              Value column = e.add(xBase, k);
              return loadElements(e, x, {t, column}, width);
            },
            [&](Emitter &e, unsigned i, Value k) {
              return weightAt(e, g, ns.rows[i], k);
            });
        SmallVector<Value> sums = warpSum(e, partial);
        for (int64_t i = 0; i < kRowsPerWarp; ++i)
          storeFromLaneZero(e, cell, ns.real[i], [&](Emitter &e) {
            Value column = e.add(outBase, ns.rows[i]);
            Value v = sums[i];
            if (residual)
              v = e.add(v, e.load(residual, {t, column}));
            e.store(v, out, {t, column});
          });
      });
}

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
    if (op.getRopeAttr())
      return rewriter.notifyMatchFailure(op, "RoPE epilogue");
    RankedTensorType weightType = op.getWeight().getType();
    const int64_t outputs = weightType.getDimSize(0),
                  depth = weightType.getDimSize(1);
    Emitter e{rewriter, op.getLoc()};
    Value w = e.buffer(adaptor.getWeight(), /*unitInnerStride=*/true);
    if (!adaptor.getResidual() && isWholeBuffer(adaptor.getX())) {
      // The expert kernels' down product, tiles from 8 rows on.
      Value x = e.buffer(adaptor.getX(), /*unitInnerStride=*/true);
      Value y = emitLinearKernels(e, x, w, op.getType());
      rewriter.replaceOp(op, e.tensor(op.getType(), y));
      return success();
    }
    Value x = e.buffer(adaptor.getX());
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
    const int64_t half = rope.getHeadDim() / 2;
    SmallVector<double> freqs = rope.getInverseFrequencies();
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
              [&](Emitter &e, Value j) {
                // The inverse frequencies, a constant of the kernel.
                auto type = VectorType::get({half}, e.b.getF64Type());
                Value table = arith::ConstantOp::create(
                    e.b, e.loc,
                    DenseElementsAttr::get(type, ArrayRef<double>(freqs)));
                return vector::ExtractOp::create(e.b, e.loc, table,
                                                 OpFoldResult(j));
              },
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

struct AttentionToGPU : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t keyDim = op.getKeyDim(), valueDim = op.getValueDim(),
                  heads = op.getNumHeads(), group = heads / op.getNumKvHeads();
    const double scale = op.getScaleOrDefault();
    Emitter e{rewriter, op.getLoc()};
    Value q = e.buffer(adaptor.getQ());
    Value keys = e.buffer(adaptor.getKeys());
    Value values = e.buffer(adaptor.getValues());
    Value start = adaptor.getStart();
    Value tokens = e.dim(q, 0);
    Value out = e.alloc(op.getType(), tokens);
    Value headCount = e.index(heads);
    launchWarpPerCell(
        e, "attention", tokens, headCount,
        [&](Emitter &e, const WarpCell &cell) {
          Value t = cell.row, h = cell.cell;
          Value kv = e.div(h, e.index(group));
          LaneColumns ks(e, cell.lane, keyDim), vs(e, cell.lane, valueDim);
          Value zero = e.f32(0.0);
          Value qBase = e.mul(h, e.index(keyDim));
          SmallVector<Value> query;
          for (auto [d, real] : llvm::zip_equal(ks.at, ks.real)) {
            Value v = e.load(q, {t, e.add(qBase, d)});
            query.push_back(e.select(real, v, zero));
          }
          // Running max, sum of exponentials, and the lane's weighted values.
          Value lowest = e.f32(-std::numeric_limits<double>::infinity());
          SmallVector<Value> init{lowest, zero};
          init.append(vs.at.size(), zero);
          Value first = e.index(0);
          Value position = e.add(start, t);
          Value end = e.add(position, e.index(1));
          ValueRange state = e.loop(
              first, end, init,
              [&](Emitter &e, Value s, ValueRange acc) -> SmallVector<Value> {
                Value partial = e.f32(0.0);
                for (auto [qd, d] : llvm::zip_equal(query, ks.at)) {
                  Value k = e.toF32(e.load(keys, {kv, s, d}));
                  partial = e.add(partial, e.mul(qd, k));
                }
                Value dot = warpSum(e, partial)[0];
                Value score = e.mul(dot, e.f32(scale));
                Value max =
                    arith::MaximumFOp::create(e.b, e.loc, acc[0], score);
                Value fromOld = arith::SubFOp::create(e.b, e.loc, acc[0], max);
                Value correction = math::ExpOp::create(e.b, e.loc, fromOld);
                Value fromNew = arith::SubFOp::create(e.b, e.loc, score, max);
                Value p = math::ExpOp::create(e.b, e.loc, fromNew);
                Value sum = e.add(e.mul(acc[1], correction), p);
                SmallVector<Value> next{max, sum};
                for (auto [i, d] : llvm::enumerate(vs.at)) {
                  Value v = e.toF32(e.load(values, {kv, s, d}));
                  Value kept = e.mul(acc[2 + i], correction);
                  next.push_back(e.add(kept, e.mul(p, v)));
                }
                return next;
              });
          Value sum = state[1];
          Value outBase = e.mul(h, e.index(valueDim));
          for (size_t i = 0; i < vs.at.size(); ++i) {
            Value real = e.andi(cell.real, vs.real[i]);
            Value weighted = state[2 + i];
            Value column = e.add(outBase, vs.at[i]);
            e.when(real, [&](Emitter &e) {
              e.store(e.div(weighted, sum), out, {t, column});
            });
          }
        });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }
};

} // namespace

void moec::lowering::populateDecoderToGPUPatterns(RewritePatternSet &patterns) {
  patterns.add<EmbeddingToGPU, RMSNormToGPU, LinearToGPU, HeadMatmulToGPU,
               RoPEToGPU, AttentionToGPU>(patterns.getContext());
}
