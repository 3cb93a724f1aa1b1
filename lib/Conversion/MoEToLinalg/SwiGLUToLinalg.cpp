//===- SwiGLUToLinalg.cpp - SwiGLU MLPs and expert segments as linalg
//-------===//

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

struct SwiGLUToLinalg : OpConversionPattern<SwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SwiGLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    Value dest = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef{dimOf(rewriter, loc, x, 0), dimOf(rewriter, loc, x, 1)},
        rewriter.getF32Type());
    rewriter.replaceOp(op, swiglu(rewriter, loc, x, adaptor.getGateWeight(),
                                  adaptor.getUpWeight(),
                                  adaptor.getDownWeight(), dest));
    return success();
  }
};

/// One expert segment per loop iteration: rows [offsets[g], offsets[g+1])
/// through expert g's SwiGLU, written back in place.
struct GroupedSwiGLUToLinalg : OpConversionPattern<GroupedSwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GroupedSwiGLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Emitter e{rewriter, loc};
    Value input = adaptor.getInput(), offsets = adaptor.getOffsets();
    const int64_t routed = op.getNumRoutedExperts();
    const int64_t shared = op.getNumSharedExperts();
    const int64_t width = op.getGateWeights().getType().getDimSize(1);
    OpFoldResult hidden = dimOf(rewriter, loc, input, 1);
    Value result = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef{dimOf(rewriter, loc, input, 0), hidden},
        rewriter.getF32Type());

    // `weightsOf(e, g)` returns expert g's (gate, up, down) as 2-D tensors.
    using WeightFn = function_ref<std::array<Value, 3>(Emitter &, Value)>;
    auto segments = [&](Value acc, int64_t first, int64_t count,
                        WeightFn weightsOf) -> Value {
      Value begin = e.index(0), end = e.index(count);
      return e.loop(
          begin, end, {acc},
          [&](Emitter &e, Value i, ValueRange acc) -> SmallVector<Value> {
            Value g = e.add(i, e.index(first));
            Value lo =
                e.toIndex(tensor::ExtractOp::create(e.b, e.loc, offsets, g));
            Value hi = e.toIndex(tensor::ExtractOp::create(
                e.b, e.loc, offsets, e.add(g, e.index(1))));
            Value rows = e.sub(hi, lo);
            Value nonEmpty =
                e.cmpi(arith::CmpIPredicate::ugt, rows, e.index(0));
            auto ifOp = scf::IfOp::create(
                e.b, e.loc, nonEmpty,
                [&](OpBuilder &nb, Location l) {
                  Emitter in{nb, l};
                  OpFoldResult zero = nb.getIndexAttr(0),
                               one = nb.getIndexAttr(1);
                  Value xs = tensor::ExtractSliceOp::create(
                      nb, l, input, ArrayRef<OpFoldResult>{lo, zero},
                      ArrayRef<OpFoldResult>{rows, hidden},
                      ArrayRef<OpFoldResult>{one, one});
                  auto [gate, up, down] = weightsOf(in, i);
                  Value dest = tensor::ExtractSliceOp::create(
                      nb, l, acc[0], ArrayRef<OpFoldResult>{lo, zero},
                      ArrayRef<OpFoldResult>{rows, hidden},
                      ArrayRef<OpFoldResult>{one, one});
                  Value ys = swiglu(nb, l, xs, gate, up, down, dest);
                  Value updated = tensor::InsertSliceOp::create(
                      nb, l, ys, acc[0], ArrayRef<OpFoldResult>{lo, zero},
                      ArrayRef<OpFoldResult>{rows, hidden},
                      ArrayRef<OpFoldResult>{one, one});
                  scf::YieldOp::create(nb, l, updated);
                },
                [&](OpBuilder &nb, Location l) {
                  scf::YieldOp::create(nb, l, acc[0]);
                });
            return {ifOp.getResult(0)};
          })[0];
    };

    auto slice2D = [&](Emitter &e, Value src, ArrayRef<OpFoldResult> offs,
                       ArrayRef<int64_t> shape) -> Value {
      auto srcType = cast<RankedTensorType>(src.getType());
      SmallVector<OpFoldResult> sizes, strides;
      SmallVector<int64_t> resultShape;
      for (int64_t s : shape) {
        sizes.push_back(e.b.getIndexAttr(s == 0 ? 1 : s));
        strides.push_back(e.b.getIndexAttr(1));
        if (s != 0)
          resultShape.push_back(s);
      }
      auto type = RankedTensorType::get(resultShape, srcType.getElementType());
      return tensor::ExtractSliceOp::create(e.b, e.loc, type, src, offs, sizes,
                                            strides);
    };
    const int64_t h = op.getInput().getType().getDimSize(1);
    result = segments(result, 0, routed, [&](Emitter &e, Value g) {
      OpFoldResult z = e.b.getIndexAttr(0);
      // Shape entries of 0 drop the expert dimension (rank-reducing slice).
      return std::array<Value, 3>{
          slice2D(e, adaptor.getGateWeights(), {g, z, z}, {0, width, h}),
          slice2D(e, adaptor.getUpWeights(), {g, z, z}, {0, width, h}),
          slice2D(e, adaptor.getDownWeights(), {g, z, z}, {0, h, width})};
    });
    if (shared > 0)
      result = segments(result, routed, shared, [&](Emitter &e, Value s) {
        OpFoldResult z = e.b.getIndexAttr(0);
        OpFoldResult row = e.mul(s, e.index(width));
        return std::array<Value, 3>{
            slice2D(e, adaptor.getSharedGateWeight(), {row, z}, {width, h}),
            slice2D(e, adaptor.getSharedUpWeight(), {row, z}, {width, h}),
            slice2D(e, adaptor.getSharedDownWeight(), {z, row}, {h, width})};
      });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void moec::populateSwiGLUToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SwiGLUToLinalg, GroupedSwiGLUToLinalg>(patterns.getContext());
}
