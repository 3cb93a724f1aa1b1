//===- HeadMatmulToVector.cpp - moe.head_matmul on buffers ----------------===//
//
// Each head's matrix is small (MLA: 128 x 512) and read by every row, so
// work items are (head, block of rows), and a decode step (one row) still
// splits over the heads.
//
// Transposed weights [G, N, K] are contiguous along the contraction: the
// register tiles of moe.linear (dot products of rows x weight rows).
// Untransposed weights [G, K, N] are contiguous along the outputs: a tile
// keeps a few output vectors of one row and adds each input times its
// weight row (broadcast and fused multiply-add), so no weight is transposed
// at run time.
//
//===----------------------------------------------------------------------===//
#include "DotTile.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using namespace moec::lowering;

namespace {

/// Rows per work item, as for moe.linear: enough to reuse a head's matrix
/// from cache several times.
constexpr int64_t kRowTilesPerItem = 8;
/// Output vectors per register tile of the untransposed form.
constexpr int64_t kOutputVectors = 4;

struct HeadMatmulToVector : OpConversionPattern<HeadMatmulOp> {
  HeadMatmulToVector(MLIRContext *ctx, const ExpertKernelTiling &tiling)
      : OpConversionPattern(ctx), tiling(tiling) {}

  LogicalResult
  matchAndRewrite(HeadMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    const int64_t heads = op.getNumHeads();
    Value x = e.buffer(adaptor.getX(), true);
    Value w = e.buffer(adaptor.getWeights(), true);
    Value tokens = e.dim(x, 0);
    Value out = e.alloc(op.getType(), tokens);
    const int64_t rowBlock = tiling.rows * kRowTilesPerItem;
    Value roundedUp = e.add(tokens, e.index(rowBlock - 1));
    Value rowBlocks = e.div(roundedUp, e.index(rowBlock));
    parallelFor(e, e.mul(rowBlocks, e.index(heads)),
                [&](Emitter &e, Value item) {
                  Value g = e.div(item, rowBlocks), rb = e.rem(item, rowBlocks);
                  Value lo = e.mul(rb, e.index(rowBlock));
                  Value blockEnd = e.add(lo, e.index(rowBlock));
                  Value hi = e.minIndex(blockEnd, tokens);
                  if (op.getTransposed())
                    dotProducts(e, op, x, w, out, g, lo, hi);
                  else
                    weightRowSums(e, op, x, w, out, g, lo, hi);
                });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

  /// Rows [lo, hi) of head g against weights [G, N, K].
  void dotProducts(Emitter &e, HeadMatmulOp op, Value x, Value w, Value out,
                   Value g, Value lo, Value hi) const {
    const int64_t in = op.getInputDim(), outs = op.getOutputDim();
    Value xBase = e.mul(g, e.index(in));
    Value outBase = e.mul(g, e.index(outs));
    Value begin = e.index(0);
    Value end = e.index(outs);
    forEachTile(e, lo, hi, begin, end, outs, tiling.rows, tiling.downCols,
                [&](Emitter &e, ArrayRef<Value> rowIds, ArrayRef<Value> colIds,
                    TileGuard guarded) {
                  SmallVector<Row> as, bs;
                  for (Value r : rowIds)
                    as.push_back({x, {r}, xBase});
                  for (Value n : colIds)
                    bs.push_back({w, {g, n}, Value()});
                  auto sums = dotTile(e, in, tiling.vectorWidth, as, {bs});
                  for (size_t c = 0; c < colIds.size(); ++c)
                    for (size_t i = 0; i < rowIds.size(); ++i)
                      guarded(e, i, c, [&](Emitter &e) {
                        Value col = e.add(outBase, colIds[c]);
                        e.store(sums[0][c][i], out, {rowIds[i], col});
                      });
                });
  }

  /// Rows [lo, hi) of head g against weights [G, K, N]: per row and group
  /// of output vectors, the sum over k of x[k] times weight row k.
  void weightRowSums(Emitter &e, HeadMatmulOp op, Value x, Value w, Value out,
                     Value g, Value lo, Value hi) const {
    const int64_t in = op.getInputDim(), outs = op.getOutputDim();
    const int64_t vl = tiling.vectorWidth;
    const int64_t vectors = outs / vl;
    int64_t perTile = kOutputVectors;
    while (perTile > 1 && vectors % perTile != 0)
      perTile /= 2;
    Value xBase = e.mul(g, e.index(in));
    Value outBase = e.mul(g, e.index(outs));
    auto vecType = VectorType::get({vl}, e.b.getF32Type());
    Value zero = arith::ConstantOp::create(
        e.b, e.loc, DenseElementsAttr::get(vecType, e.b.getF32FloatAttr(0.0)));
    Value inputs = e.index(in);
    e.loop(lo, hi, [&](Emitter &e, Value t) {
      e.loop(0, vectors * vl, perTile * vl, [&](Emitter &e, Value n0) {
        SmallVector<Value> init(perTile, zero);
        Value first = e.index(0);
        ValueRange sums = e.loop(
            first, inputs, init,
            [&](Emitter &e, Value k, ValueRange acc) -> SmallVector<Value> {
              Value xk = loadRow(e, Row{x, {t}, xBase}, k, 0);
              Value xs = vector::BroadcastOp::create(e.b, e.loc, vecType, xk);
              SmallVector<Value> next;
              for (int64_t i = 0; i < perTile; ++i) {
                Value n = e.add(n0, e.index(i * vl));
                Value wv = loadRow(e, Row{w, {g, k}, Value()}, n, vl);
                next.push_back(
                    vector::FMAOp::create(e.b, e.loc, xs, wv, acc[i]));
              }
              return next;
            });
        for (int64_t i = 0; i < perTile; ++i) {
          Value n = e.add(n0, e.index(i * vl));
          Value col = e.add(outBase, n);
          vector::StoreOp::create(e.b, e.loc, sums[i], out, ValueRange{t, col});
        }
      });
      // Outputs past the last whole vector, one at a time.
      e.loop(vectors * vl, outs, [&](Emitter &e, Value n) {
        Value first = e.index(0);
        Value sum =
            e.loop(first, inputs, {e.f32(0.0)},
                   [&](Emitter &e, Value k, ValueRange acc) {
                     Value xk = loadRow(e, Row{x, {t}, xBase}, k, 0);
                     Value wk = loadRow(e, Row{w, {g, k}, Value()}, n, 0);
                     return SmallVector<Value>{e.add(acc[0], e.mul(xk, wk))};
                   })[0];
        Value col = e.add(outBase, n);
        e.store(sum, out, {t, col});
      });
    });
  }

  ExpertKernelTiling tiling;
};

} // namespace

void moec::lowering::populateHeadMatmulToVectorPatterns(
    RewritePatternSet &patterns, const ExpertKernelTiling &tiling) {
  patterns.add<HeadMatmulToVector>(patterns.getContext(), tiling);
}
