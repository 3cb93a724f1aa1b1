//===- UnpackWeightsToLinalg.cpp - panel-packed weights as a copy ---------===//
//
// Where no kernel reads the panels of a moe.unpack_weights directly, the
// matrices are copied out of them: one linalg.generic whose input map is the
// op's definition, an affine map with floordiv and mod by the panel sizes.
//
//===----------------------------------------------------------------------===//
#include "moec/Conversion/MoEToLinalg.h"

#include "LinalgBuilders.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

struct UnpackWeightsToLinalg : OpConversionPattern<UnpackWeightsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(UnpackWeightsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    const int64_t p = op.getPanel(), q = op.getKPack();
    auto [n, k] = op.getMatrixShape();
    // (g, row, col) of the element at the result's loop indices.
    AffineExpr g, row, col;
    if (type.getRank() == 3) {
      g = getAffineDimExpr(0, ctx);
      row = getAffineDimExpr(1, ctx);
      col = getAffineDimExpr(2, ctx);
    } else if (op.getConcatDim() == 0) {
      AffineExpr r = getAffineDimExpr(0, ctx);
      g = r.floorDiv(n);
      row = r % n;
      col = getAffineDimExpr(1, ctx);
    } else {
      AffineExpr c = getAffineDimExpr(1, ctx);
      g = c.floorDiv(k);
      row = getAffineDimExpr(0, ctx);
      col = c % k;
    }
    const unsigned rank = type.getRank();
    AffineMap input = AffineMap::get(
        rank, 0, {g, row.floorDiv(p), col.floorDiv(q), row % p, col % q}, ctx);
    Location loc = op.getLoc();
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    SmallVector<utils::IteratorType> iterators(rank, kPar);
    auto copy = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{adaptor.getPacked()}, ValueRange{empty},
        ArrayRef{input, AffineMap::getMultiDimIdentityMap(rank, ctx)},
        iterators, [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    rewriter.replaceOp(op, copy.getResults());
    return success();
  }
};

} // namespace

void moec::populateUnpackWeightsToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<UnpackWeightsToLinalg>(patterns.getContext());
}
