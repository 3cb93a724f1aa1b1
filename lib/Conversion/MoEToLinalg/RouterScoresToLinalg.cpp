//===- RouterScoresToLinalg.cpp - router scores as linalg
//-------------------===//

#include "LinalgBuilders.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/Emitter.h"
#include "moec/Conversion/MoEToLinalg.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

struct RouterScoresToLinalg : OpConversionPattern<RouterScoresOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RouterScoresOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getX(), w = adaptor.getWeight();
    OpFoldResult tokens = dimOf(rewriter, loc, x, 0);
    OpFoldResult experts = dimOf(rewriter, loc, w, 0);
    Value logits = matmulTransposedB(rewriter, loc, x, w,
                                     filled(rewriter, loc, tokens, experts, 0));
    auto identity = map(ctx, 2, {0, 1});
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef{tokens, experts}, rewriter.getF32Type());
    if (op.getScoring() == ScoringFunc::sigmoid) {
      auto sig = linalg::GenericOp::create(
          rewriter, loc, empty.getType(), ValueRange{logits}, ValueRange{empty},
          ArrayRef{identity, identity}, ArrayRef{kPar, kPar},
          [](OpBuilder &nb, Location l, ValueRange args) {
            Emitter e{nb, l};
            Value neg = arith::NegFOp::create(nb, l, args[0]);
            Value one = e.f32(1.0);
            Value denom = e.add(one, math::ExpOp::create(nb, l, neg));
            linalg::YieldOp::create(nb, l, e.div(e.f32(1.0), denom));
          });
      rewriter.replaceOp(op, sig.getResult(0));
      return success();
    }
    // Softmax over experts, shifted by the row maximum.
    auto rowMap = map(ctx, 2, {0});
    auto reduceRows = [&](Value input, float init, auto combine) {
      Value acc = tensor::EmptyOp::create(rewriter, loc, ArrayRef{tokens},
                                          rewriter.getF32Type());
      Value initV = arith::ConstantOp::create(rewriter, loc,
                                              rewriter.getF32FloatAttr(init));
      acc = linalg::FillOp::create(rewriter, loc, initV, acc).getResult(0);
      return linalg::GenericOp::create(
                 rewriter, loc, acc.getType(), ValueRange{input},
                 ValueRange{acc}, ArrayRef{identity, rowMap},
                 ArrayRef{kPar, kRed},
                 [&](OpBuilder &nb, Location l, ValueRange args) {
                   linalg::YieldOp::create(nb, l,
                                           combine(nb, l, args[1], args[0]));
                 })
          .getResult(0);
    };
    Value rowMax =
        reduceRows(logits, -std::numeric_limits<float>::infinity(),
                   [](OpBuilder &nb, Location l, Value acc, Value v) -> Value {
                     return arith::MaximumFOp::create(nb, l, acc, v);
                   });
    auto exps = linalg::GenericOp::create(
        rewriter, loc, empty.getType(), ValueRange{logits, rowMax},
        ValueRange{empty}, ArrayRef{identity, rowMap, identity},
        ArrayRef{kPar, kPar}, [](OpBuilder &nb, Location l, ValueRange args) {
          Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
          linalg::YieldOp::create(
              nb, l, math::ExpOp::create(nb, l, shifted).getResult());
        });
    Value sums =
        reduceRows(exps.getResult(0), 0.0f,
                   [](OpBuilder &nb, Location l, Value acc, Value v) -> Value {
                     return arith::AddFOp::create(nb, l, acc, v);
                   });
    auto probs = linalg::GenericOp::create(
        rewriter, loc, empty.getType(), ValueRange{exps.getResult(0), sums},
        ValueRange{empty}, ArrayRef{identity, rowMap, identity},
        ArrayRef{kPar, kPar}, [](OpBuilder &nb, Location l, ValueRange args) {
          linalg::YieldOp::create(
              nb, l,
              arith::DivFOp::create(nb, l, args[0], args[1]).getResult());
        });
    rewriter.replaceOp(op, probs.getResult(0));
    return success();
  }
};

} // namespace

void moec::populateRouterScoresToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<RouterScoresToLinalg>(patterns.getContext());
}
