//===- PermuteCombineToLinalg.cpp - token gather and combine as linalg
//------===//

#include "LinalgBuilders.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/Emitter.h"
#include "moec/Conversion/MoEToLinalg.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

struct PermuteToLinalg : OpConversionPattern<PermuteOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PermuteOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getX(), perm = adaptor.getPermutation();
    Value empty = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef{dimOf(rewriter, loc, perm, 0), dimOf(rewriter, loc, x, 1)},
        rewriter.getF32Type());
    int64_t topK = op.getTopK();
    auto gather = linalg::GenericOp::create(
        rewriter, loc, empty.getType(), ValueRange{perm}, ValueRange{empty},
        ArrayRef{map(ctx, 2, {0}), map(ctx, 2, {0, 1})}, ArrayRef{kPar, kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Emitter e{nb, l};
          Value pair = e.toIndex(args[0]);
          Value token = e.div(pair, e.index(topK));
          Value h = linalg::IndexOp::create(nb, l, 1);
          linalg::YieldOp::create(
              nb, l,
              tensor::ExtractOp::create(nb, l, x, ValueRange{token, h})
                  .getResult());
        });
    rewriter.replaceOp(op, gather.getResult(0));
    return success();
  }
};

/// result[t, h] = sum_j w[t, j] * ys[row(t*k + j), h], with row() the inverse
/// of the permutation, summed in slot order.
struct CombineToLinalg : OpConversionPattern<CombineOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CombineOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Emitter e{rewriter, loc};
    Value ys = adaptor.getExpertOutputs(), weights = adaptor.getWeights();
    Value perm = adaptor.getPermutation();
    const int64_t k = op.getWeights().getType().getDimSize(1);

    auto permType = cast<RankedTensorType>(perm.getType());
    Value pairs = e.dim(perm, 0);
    Value permBuf = e.buffer(perm);
    SmallVector<Value> dyn;
    if (permType.isDynamicDim(0))
      dyn.push_back(pairs);
    Value rowOf = e.alloc(permType, dyn);
    e.loop(e.index(0), pairs, [&](Emitter &e, Value r) {
      Value row = e.toI32(r);
      e.store(row, rowOf, e.toIndex(e.load(permBuf, r)));
    });
    Value rowOfTensor = e.tensor(permType, rowOf);

    OpFoldResult tokens = dimOf(rewriter, loc, weights, 0);
    OpFoldResult hidden = dimOf(rewriter, loc, ys, 1);
    Value init = filled(rewriter, loc, tokens, hidden, 0.0f);
    auto combine = linalg::GenericOp::create(
        rewriter, loc, init.getType(), ValueRange{weights}, ValueRange{init},
        ArrayRef{map(ctx, 3, {0, 2}), map(ctx, 3, {0, 1})},
        ArrayRef{kPar, kPar, kRed},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Emitter e{nb, l};
          Value t = linalg::IndexOp::create(nb, l, 0);
          Value h = linalg::IndexOp::create(nb, l, 1);
          Value j = linalg::IndexOp::create(nb, l, 2);
          Value pair = e.add(e.mul(t, e.index(k)), j);
          Value row =
              e.toIndex(tensor::ExtractOp::create(nb, l, rowOfTensor, pair));
          Value y = tensor::ExtractOp::create(nb, l, ys, ValueRange{row, h});
          linalg::YieldOp::create(nb, l, e.add(args[1], e.mul(args[0], y)));
        });
    rewriter.replaceOp(op, combine.getResult(0));
    return success();
  }
};

/// Slots k..k+S-1 of every token are experts first_expert.. with weight 1.
struct AppendSharedExpertsToLinalg
    : OpConversionPattern<AppendSharedExpertsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AppendSharedExpertsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value weights = adaptor.getWeights(), indices = adaptor.getIndices();
    const int64_t k = op.getIndices().getType().getDimSize(1);
    const int64_t first = op.getFirstExpert();
    auto wType = op.getResultWeights().getType();
    auto iType = op.getResultIndices().getType();
    OpFoldResult tokens = dimOf(rewriter, loc, weights, 0);
    OpFoldResult slots = rewriter.getIndexAttr(wType.getDimSize(1));
    Value wInit = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef{tokens, slots}, wType.getElementType());
    Value iInit = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef{tokens, slots}, iType.getElementType());
    auto identity = map(ctx, 2, {0, 1});
    auto gen = linalg::GenericOp::create(
        rewriter, loc, TypeRange{wInit.getType(), iInit.getType()},
        ValueRange{}, ValueRange{wInit, iInit}, ArrayRef{identity, identity},
        ArrayRef{kPar, kPar}, [&](OpBuilder &nb, Location l, ValueRange) {
          Emitter e{nb, l};
          Value t = linalg::IndexOp::create(nb, l, 0);
          Value j = linalg::IndexOp::create(nb, l, 1);
          Value routed = e.cmpi(arith::CmpIPredicate::ult, j, e.index(k));
          auto ifOp = scf::IfOp::create(
              nb, l, routed,
              [&](OpBuilder &tb, Location tl) {
                Value w = tensor::ExtractOp::create(tb, tl, weights,
                                                    ValueRange{t, j});
                Value i = tensor::ExtractOp::create(tb, tl, indices,
                                                    ValueRange{t, j});
                scf::YieldOp::create(tb, tl, ValueRange{w, i});
              },
              [&](OpBuilder &fb, Location fl) {
                Emitter f{fb, fl};
                Value shared = f.sub(j, f.index(k));
                Value expert = f.toI32(f.add(shared, f.index(first)));
                scf::YieldOp::create(fb, fl, ValueRange{f.f32(1.0), expert});
              });
          linalg::YieldOp::create(nb, l, ifOp.getResults());
        });
    rewriter.replaceOp(op, gen.getResults());
    return success();
  }
};

} // namespace

void moec::populatePermuteCombineToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<PermuteToLinalg, CombineToLinalg, AppendSharedExpertsToLinalg>(
      patterns.getContext());
}
