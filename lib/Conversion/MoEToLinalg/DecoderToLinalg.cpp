//===- DecoderToLinalg.cpp - decoder-layer ops as linalg ------------------===//
//
// moe.embedding, moe.rms_norm, moe.linear, moe.rope and moe.head_matmul as
// linalg.generic on tensors: the straightforward lowering, for shapes the
// vector kernels do not take and as their reference in the unfused pipeline.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/Emitter.h"
#include "moec/Conversion/MoEToLinalg.h"
#include "moec/Conversion/RoPEValue.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

/// An f32 tensor of `like`'s [rows, cols] sizes, left undefined.
Value emptyLike(OpBuilder &b, Location loc, Value like) {
  return tensor::EmptyOp::create(
      b, loc, ArrayRef{dimOf(b, loc, like, 0), dimOf(b, loc, like, 1)},
      b.getF32Type());
}

/// `x` [T, W] (heads of the RoPE's head_dim per row, row t at position
/// start + t) with every pair of the RoPE's layout turned. Angles in f64.
Value applyRoPE(OpBuilder &b, Location loc, Value x, Value start,
                RoPEAttr rope) {
  MLIRContext *ctx = b.getContext();
  SmallVector<double> freqs = rope.getInverseFrequencies();
  auto freqType =
      RankedTensorType::get({rope.getHeadDim() / 2}, b.getF64Type());
  Value freqTable = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(freqType, ArrayRef<double>(freqs)));
  auto identity = map(ctx, 2, {0, 1});
  auto gen = linalg::GenericOp::create(
      b, loc, x.getType(), ValueRange{}, ValueRange{emptyLike(b, loc, x)},
      ArrayRef{identity}, ArrayRef{kPar, kPar},
      [&](OpBuilder &nb, Location l, ValueRange) {
        Emitter e{nb, l};
        Value t = linalg::IndexOp::create(nb, l, 0);
        Value c = linalg::IndexOp::create(nb, l, 1);
        Value position = e.add(start, t);
        Value rotated = emitRoPEValue(
            e, c, position, rope,
            [&](Emitter &e, Value j) {
              return tensor::ExtractOp::create(e.b, e.loc, freqTable,
                                               ValueRange{j});
            },
            [&](Emitter &e, Value column) {
              return tensor::ExtractOp::create(e.b, e.loc, x,
                                               ValueRange{t, column});
            });
        linalg::YieldOp::create(nb, l, rotated);
      });
  return gen.getResult(0);
}

struct EmbeddingToLinalg : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value table = adaptor.getTable(), ids = adaptor.getIds();
    Value empty = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef{dimOf(rewriter, loc, ids, 0), dimOf(rewriter, loc, table, 1)},
        rewriter.getF32Type());
    auto gather = linalg::GenericOp::create(
        rewriter, loc, empty.getType(), ValueRange{ids}, ValueRange{empty},
        ArrayRef{map(ctx, 2, {0}), map(ctx, 2, {0, 1})}, ArrayRef{kPar, kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Emitter e{nb, l};
          Value row =
              arith::IndexCastUIOp::create(nb, l, nb.getIndexType(), args[0]);
          Value h = linalg::IndexOp::create(nb, l, 1);
          linalg::YieldOp::create(nb, l,
                                  e.toF32(tensor::ExtractOp::create(
                                      nb, l, table, ValueRange{row, h})));
        });
    rewriter.replaceOp(op, gather.getResult(0));
    return success();
  }
};

struct RMSNormToLinalg : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getX(), w = adaptor.getWeight();
    OpFoldResult tokens = dimOf(rewriter, loc, x, 0);
    Value sums = tensor::EmptyOp::create(rewriter, loc, ArrayRef{tokens},
                                         rewriter.getF32Type());
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
    sums = linalg::FillOp::create(rewriter, loc, zero, sums).getResult(0);
    auto identity = map(ctx, 2, {0, 1}), rowMap = map(ctx, 2, {0});
    auto squares = linalg::GenericOp::create(
        rewriter, loc, sums.getType(), ValueRange{x}, ValueRange{sums},
        ArrayRef{identity, rowMap}, ArrayRef{kPar, kRed},
        [](OpBuilder &nb, Location l, ValueRange args) {
          Emitter e{nb, l};
          linalg::YieldOp::create(nb, l,
                                  e.add(args[1], e.mul(args[0], args[0])));
        });
    const int64_t hidden = op.getX().getType().getDimSize(1);
    const double eps = op.getEpsilon().convertToDouble();
    auto norm = linalg::GenericOp::create(
        rewriter, loc, op.getType(), ValueRange{x, squares.getResult(0), w},
        ValueRange{emptyLike(rewriter, loc, x)},
        ArrayRef{identity, rowMap, map(ctx, 2, {1}), identity},
        ArrayRef{kPar, kPar}, [&](OpBuilder &nb, Location l, ValueRange args) {
          Emitter e{nb, l};
          Value size = ShapedType::isDynamic(hidden)
                           ? arith::UIToFPOp::create(
                                 nb, l, nb.getF32Type(),
                                 arith::IndexCastUIOp::create(
                                     nb, l, nb.getI64Type(),
                                     tensor::DimOp::create(nb, l, x, 1)))
                                 .getResult()
                           : e.f32(static_cast<double>(hidden));
          Value mean = e.div(args[1], size);
          Value one = e.f32(1.0);
          Value variance = e.add(mean, e.f32(eps));
          Value inv = e.div(one, math::SqrtOp::create(nb, l, variance));
          Value normed = e.mul(args[0], inv);
          linalg::YieldOp::create(nb, l, e.mul(normed, e.toF32(args[2])));
        });
    rewriter.replaceOp(op, norm.getResult(0));
    return success();
  }
};

struct LinearToLinalg : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getX(), w = adaptor.getWeight();
    OpFoldResult rows = dimOf(rewriter, loc, x, 0);
    OpFoldResult cols = dimOf(rewriter, loc, w, 0);
    Value y = matmulTransposedB(rewriter, loc, x, w,
                                filled(rewriter, loc, rows, cols, 0.0f));
    if (RoPEAttr rope = op.getRopeAttr())
      y = applyRoPE(rewriter, loc, y, adaptor.getRopeStart(), rope);
    if (Value r = adaptor.getResidual()) {
      auto identity = map(ctx, 2, {0, 1});
      y = linalg::GenericOp::create(
              rewriter, loc, op.getType(), ValueRange{y, r},
              ValueRange{emptyLike(rewriter, loc, y)},
              ArrayRef{identity, identity, identity}, ArrayRef{kPar, kPar},
              [](OpBuilder &nb, Location l, ValueRange args) {
                linalg::YieldOp::create(nb, l,
                                        Emitter{nb, l}.add(args[0], args[1]));
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct RoPEToLinalg : OpConversionPattern<RoPEOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RoPEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, applyRoPE(rewriter, op.getLoc(), adaptor.getX(),
                                     adaptor.getStart(), op.getRope()));
    return success();
  }
};

/// x [T, G*K] as [T, G, K], times each head's matrix, into [T, G, N], then
/// back to [T, G*N].
struct HeadMatmulToLinalg : OpConversionPattern<HeadMatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(HeadMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    const int64_t heads = op.getNumHeads(), in = op.getInputDim(),
                  out = op.getOutputDim();
    Value x = adaptor.getX();
    auto f32 = rewriter.getF32Type();
    const SmallVector<ReassociationIndices> split{{0}, {1, 2}};
    auto xType = RankedTensorType::get({ShapedType::kDynamic, heads, in}, f32);
    Value x3 = tensor::ExpandShapeOp::create(rewriter, loc, xType, x, split);
    OpFoldResult tokens = dimOf(rewriter, loc, x, 0);
    Value init = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{tokens, rewriter.getIndexAttr(heads),
                               rewriter.getIndexAttr(out)},
        f32);
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getF32FloatAttr(0.0f));
    init = linalg::FillOp::create(rewriter, loc, zero, init).getResult(0);
    // Loops (t, g, n, k).
    AffineMap weightMap =
        op.getTransposed() ? map(ctx, 4, {1, 2, 3}) : map(ctx, 4, {1, 3, 2});
    auto product = linalg::GenericOp::create(
        rewriter, loc, init.getType(), ValueRange{x3, adaptor.getWeights()},
        ValueRange{init},
        ArrayRef{map(ctx, 4, {0, 1, 3}), weightMap, map(ctx, 4, {0, 1, 2})},
        ArrayRef{kPar, kPar, kPar, kRed},
        [](OpBuilder &nb, Location l, ValueRange args) {
          Emitter e{nb, l};
          Value prod = e.mul(args[0], e.toF32(args[1]));
          linalg::YieldOp::create(nb, l, e.add(args[2], prod));
        });
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getType(), product.getResult(0), split);
    return success();
  }
};

} // namespace

void moec::populateDecoderToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<EmbeddingToLinalg, RMSNormToLinalg, LinearToLinalg, RoPEToLinalg,
               HeadMatmulToLinalg>(patterns.getContext());
}
