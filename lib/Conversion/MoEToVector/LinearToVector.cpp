//===- LinearToVector.cpp - moe.linear as register-tiled dot products -----===//
//
// y = x * W^T with W [N, K] in its stored (PyTorch Linear) layout: both
// operands are contiguous along K, so a tile of `rows` activation rows x
// `cols` weight rows keeps rows*cols vector accumulators. Work items are
// (column block, row block), column-block-major, so a thread keeps one block
// of weights in cache while it walks the rows, and a decode step (one row)
// still splits N over all cores.
//
// The epilogues run on each tile in registers: RoPE turns the pairs
// (j, j + head_dim/2) of a head, so with a rope epilogue a tile holds whole
// pairs (its columns are pair units); the residual is added last.
//
//===----------------------------------------------------------------------===//
#include "DotTile.h"
#include "Patterns.h"
#include "Rotary.h"

#include "MoE/MoEOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using namespace moec::lowering;

namespace {

/// Activation rows per work item: enough register tiles to reuse a cached
/// block of weights several times.
constexpr int64_t kRowTilesPerItem = 8;

struct LinearToVector : OpConversionPattern<LinearOp> {
  LinearToVector(MLIRContext *ctx, const ExpertKernelTiling &tiling)
      : OpConversionPattern(ctx), tiling(tiling) {}

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t inner = op.getX().getType().getDimSize(1);
    const int64_t outer = op.getWeight().getType().getDimSize(0);
    if (ShapedType::isDynamic(inner) || ShapedType::isDynamic(outer))
      return rewriter.notifyMatchFailure(op, "needs static K and N");
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX(), true);
    Value w = e.buffer(adaptor.getWeight(), true);
    Value residual =
        adaptor.getResidual() ? e.buffer(adaptor.getResidual()) : Value();
    Value tokens = e.dim(x, 0);
    Value out = e.alloc(op.getType(), tokens);

    // Units are output columns, or with RoPE pairs of columns (j, j + half)
    // of one head, named by their first column's index among first halves.
    RoPEAttr rope = op.getRopeAttr();
    std::optional<RotaryTable> table;
    int64_t half = 0, units = outer, unitCols = tiling.downCols;
    if (rope) {
      table = buildRotaryTable(e, adaptor.getRopeStart(), tokens, rope);
      half = table->half;
      units = outer / 2;
      unitCols = std::max<int64_t>(1, tiling.downCols / 2);
    }
    // Column of unit u (with RoPE: its first half), and the column in the
    // head that RoPE pairs with it.
    auto column = [&](Emitter &e, Value u) -> Value {
      if (!rope)
        return u;
      Value head = e.div(u, e.index(half));
      Value headStart = e.mul(head, e.index(2 * half));
      return e.add(headStart, e.rem(u, e.index(half)));
    };

    const int64_t colBlock =
        rope ? std::max<int64_t>(1, tiling.downBlock / 2) : tiling.downBlock;
    const int64_t colBlocks = (units + colBlock - 1) / colBlock;
    const int64_t rowBlock = tiling.rows * kRowTilesPerItem;
    Value roundedUp = e.add(tokens, e.index(rowBlock - 1));
    Value rowBlocks = e.div(roundedUp, e.index(rowBlock));
    std::optional<int64_t> uniform;
    if (units % colBlock == 0)
      uniform = colBlock;

    parallelFor(
        e, e.mul(rowBlocks, e.index(colBlocks)), [&](Emitter &e, Value item) {
          Value cb = e.div(item, rowBlocks), rb = e.rem(item, rowBlocks);
          Value lo = e.mul(rb, e.index(rowBlock));
          Value hi = e.minIndex(e.add(lo, e.index(rowBlock)), tokens);
          Value begin = e.mul(cb, e.index(colBlock));
          Value blockEnd = e.add(begin, e.index(colBlock));
          Value end = e.minIndex(blockEnd, e.index(units));
          forEachTile(
              e, lo, hi, begin, end, uniform, tiling.rows, unitCols,
              [&](Emitter &e, ArrayRef<Value> rowIds, ArrayRef<Value> unitIds,
                  TileGuard guarded) {
                SmallVector<Row> as, bs;
                for (Value r : rowIds)
                  as.push_back({x, {r}, Value()});
                SmallVector<Value> cols;
                for (Value u : unitIds)
                  cols.push_back(column(e, u));
                if (rope)
                  for (Value u : unitIds) {
                    Value first = column(e, u);
                    cols.push_back(e.add(first, e.index(half)));
                  }
                for (Value c : cols)
                  bs.push_back({w, {c}, Value()});
                auto sums = dotTile(e, inner, tiling.vectorWidth, as, {bs});
                const size_t n = unitIds.size();
                for (size_t c = 0; c < n; ++c)
                  for (size_t i = 0; i < rowIds.size(); ++i) {
                    Value r = rowIds[i];
                    SmallVector<std::pair<Value, Value>> stores;
                    if (rope) {
                      Value j = e.rem(unitIds[c], e.index(half));
                      auto [a, b] = rotatePair(e, *table, r, j, sums[0][c][i],
                                               sums[0][c + n][i]);
                      stores = {{a, cols[c]}, {b, cols[c + n]}};
                    } else {
                      stores = {{sums[0][c][i], cols[c]}};
                    }
                    guarded(e, i, c, [&](Emitter &e) {
                      for (auto [v, col] : stores)
                        e.store(residual ? e.add(v, e.load(residual, {r, col}))
                                         : v,
                                out, {r, col});
                    });
                  }
              });
        });
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

  ExpertKernelTiling tiling;
};

} // namespace

void moec::lowering::populateLinearToVectorPatterns(
    RewritePatternSet &patterns, const ExpertKernelTiling &tiling) {
  patterns.add<LinearToVector>(patterns.getContext(), tiling);
}
