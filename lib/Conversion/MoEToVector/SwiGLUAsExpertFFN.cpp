//===- SwiGLUAsExpertFFN.cpp - dense SwiGLU MLPs on the expert kernels ----===//
#include "DotTile.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

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
    Value one = e.f32(1.0);
    Value ones = linalg::FillOp::create(
                     rewriter, loc, one,
                     tensor::EmptyOp::create(rewriter, loc, weightsType, dyn)
                         .getResult())
                     .getResult(0);
    auto stackOfOne = [&](Value w) -> Value {
      auto type = cast<RankedTensorType>(w.getType());
      auto stacked = RankedTensorType::get(
          {1, type.getDimSize(0), type.getDimSize(1)}, type.getElementType());
      // One matrix in panels is a stack of one in the same panels, which
      // the expert kernels then read in place.
      if (auto unpack = w.getDefiningOp<UnpackWeightsOp>();
          unpack && unpack.getNumMatrices() == 1)
        return UnpackWeightsOp::create(rewriter, loc, stacked,
                                       unpack.getPacked(), IntegerAttr());
      return tensor::ExpandShapeOp::create(
          rewriter, loc, stacked, w,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    };
    Value gate = stackOfOne(adaptor.getGateWeight());
    Value up = stackOfOne(adaptor.getUpWeight());
    Value down = stackOfOne(adaptor.getDownWeight());
    rewriter.replaceOpWithNewOp<ExpertFFNOp>(op, op.getType(), x, perm, offsets,
                                             ones, gate, up, down, Value(),
                                             Value(), Value());
    return success();
  }
};

} // namespace

void moec::lowering::populateSwiGLUAsExpertFFNPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SwiGLUAsExpertFFN>(patterns.getContext());
}
