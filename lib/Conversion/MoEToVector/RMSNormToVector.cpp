//===- RMSNormToVector.cpp - moe.rms_norm as vector loops per row ---------===//
#include "DotTile.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using namespace moec::lowering;

namespace {

/// Per row, in parallel over rows: the sum of squares in vector registers,
/// then x * (1 / sqrt(mean + eps)) * weight with the weight widened in
/// registers.
struct RMSNormToVector : OpConversionPattern<RMSNormOp> {
  RMSNormToVector(MLIRContext *ctx, const ExpertKernelTiling &tiling)
      : OpConversionPattern(ctx), tiling(tiling) {}

  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t hidden = op.getX().getType().getDimSize(1);
    if (ShapedType::isDynamic(hidden))
      return rewriter.notifyMatchFailure(op, "needs a static hidden size");
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX(), true);
    Value w = e.buffer(adaptor.getWeight(), true);
    Value tokens = e.dim(x, 0);
    Value out = e.alloc(op.getType(), tokens);
    const int64_t vl = tiling.vectorWidth;
    const int64_t vecEnd = hidden / vl * vl;
    const double eps = op.getEpsilon().convertToDouble();

    parallelFor(e, tokens, [&](Emitter &e, Value t) {
      Row xr{x, {t}, Value()}, wr{w, {}, Value()};
      Value zero = arith::ConstantOp::create(
          e.b, e.loc,
          DenseElementsAttr::get(VectorType::get({vl}, e.b.getF32Type()),
                                 e.b.getF32FloatAttr(0.0)));
      Value begin = e.index(0), vecStop = e.index(vecEnd);
      Value acc = e.loop(
          begin, vecStop, {zero},
          [&](Emitter &e, Value c, ValueRange acc) {
            Value v = loadRow(e, xr, c, vl);
            return SmallVector<Value>{
                vector::FMAOp::create(e.b, e.loc, v, v, acc[0])};
          },
          vl)[0];
      Value sum = vector::ReductionOp::create(
          e.b, e.loc, vector::CombiningKind::ADD, acc, Value(),
          arith::FastMathFlags::reassoc);
      Value tail = e.index(vecEnd), end = e.index(hidden);
      sum = e.loop(tail, end, {sum}, [&](Emitter &e, Value c, ValueRange acc) {
        Value v = loadRow(e, xr, c, 0);
        return SmallVector<Value>{e.add(acc[0], e.mul(v, v))};
      })[0];
      Value mean = e.div(sum, e.f32(static_cast<double>(hidden)));
      Value one = e.f32(1.0);
      Value variance = e.add(mean, e.f32(eps));
      Value inv = e.div(one, math::SqrtOp::create(e.b, e.loc, variance));
      Value invVec = vector::BroadcastOp::create(
          e.b, e.loc, VectorType::get({vl}, e.b.getF32Type()), inv);
      e.loop(0, vecEnd, vl, [&](Emitter &e, Value c) {
        Value normed = e.mul(loadRow(e, xr, c, vl), invVec);
        Value y = e.mul(normed, loadRow(e, wr, c, vl));
        vector::StoreOp::create(e.b, e.loc, y, out, ValueRange{t, c});
      });
      e.loop(vecEnd, hidden, [&](Emitter &e, Value c) {
        Value normed = e.mul(loadRow(e, xr, c, 0), inv);
        e.store(e.mul(normed, loadRow(e, wr, c, 0)), out, {t, c});
      });
    });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

  ExpertKernelTiling tiling;
};

} // namespace

void moec::lowering::populateRMSNormToVectorPatterns(
    RewritePatternSet &patterns, const ExpertKernelTiling &tiling) {
  patterns.add<RMSNormToVector>(patterns.getContext(), tiling);
}
