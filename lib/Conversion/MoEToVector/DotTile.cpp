//===- DotTile.cpp - register-tiled dot products on buffers ---------------===//
#include "DotTile.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace moec::lowering;

namespace {

SmallVector<Value, 3> rowIndices(Emitter &e, const Row &row, Value c) {
  SmallVector<Value, 3> idx(row.prefix);
  idx.push_back(row.base ? e.add(row.base, c) : c);
  return idx;
}

} // namespace

Value moec::lowering::loadRow(Emitter &e, const Row &row, Value c,
                              int64_t width) {
  SmallVector<Value, 3> idx = rowIndices(e, row, c);
  Type elem = cast<MemRefType>(row.mem.getType()).getElementType();
  if (width == 0)
    return e.toF32(e.load(row.mem, idx));
  auto type = VectorType::get({width}, elem);
  Value v = vector::LoadOp::create(e.b, e.loc, type, row.mem, idx);
  if (elem.isF32())
    return v;
  return arith::ExtFOp::create(e.b, e.loc,
                               VectorType::get({width}, e.b.getF32Type()), v);
}

SmallVector<SmallVector<SmallVector<Value>>>
moec::lowering::dotTile(Emitter &e, int64_t length, int64_t width,
                        ArrayRef<Row> as, ArrayRef<SmallVector<Row>> bSets) {
  const int64_t nA = as.size(), nB = bSets.front().size(), nSets = bSets.size();
  auto flat = [&](int64_t s, int64_t b, int64_t a) {
    return (s * nB + b) * nA + a;
  };
  const int64_t vecEnd = length / width * width;
  auto vecType = VectorType::get({width}, e.b.getF32Type());
  Value zeroVec = arith::ConstantOp::create(
      e.b, e.loc, DenseElementsAttr::get(vecType, e.b.getF32FloatAttr(0.0)));
  SmallVector<Value> init(nSets * nB * nA, zeroVec);
  Value begin = e.index(0), vecStop = e.index(vecEnd);
  ValueRange accs = e.loop(
      begin, vecStop, init,
      [&](Emitter &e, Value c, ValueRange acc) -> SmallVector<Value> {
        SmallVector<Value> next(acc.begin(), acc.end());
        SmallVector<Value> aVecs;
        for (const Row &a : as)
          aVecs.push_back(loadRow(e, a, c, width));
        for (int64_t s = 0; s < nSets; ++s)
          for (int64_t b = 0; b < nB; ++b) {
            Value bVec = loadRow(e, bSets[s][b], c, width);
            for (int64_t a = 0; a < nA; ++a)
              next[flat(s, b, a)] = vector::FMAOp::create(
                  e.b, e.loc, aVecs[a], bVec, next[flat(s, b, a)]);
          }
        return next;
      },
      /*step=*/width);
  SmallVector<Value> sums;
  for (Value acc : accs)
    sums.push_back(
        vector::ReductionOp::create(e.b, e.loc, vector::CombiningKind::ADD, acc,
                                    Value(), arith::FastMathFlags::reassoc));
  if (vecEnd < length) {
    Value tailStart = e.index(vecEnd), end = e.index(length);
    ValueRange tail =
        e.loop(tailStart, end, sums,
               [&](Emitter &e, Value c, ValueRange acc) -> SmallVector<Value> {
                 SmallVector<Value> next(acc.begin(), acc.end());
                 for (int64_t s = 0; s < nSets; ++s)
                   for (int64_t b = 0; b < nB; ++b) {
                     Value bv = loadRow(e, bSets[s][b], c, 0);
                     for (int64_t a = 0; a < nA; ++a)
                       next[flat(s, b, a)] =
                           e.add(next[flat(s, b, a)],
                                 e.mul(loadRow(e, as[a], c, 0), bv));
                   }
                 return next;
               });
    sums.assign(tail.begin(), tail.end());
  }
  return regroupSums(sums, nSets, nB, nA);
}

SmallVector<SmallVector<SmallVector<Value>>>
moec::lowering::regroupSums(ArrayRef<Value> flat, int64_t sets, int64_t bs,
                            int64_t as) {
  SmallVector<SmallVector<SmallVector<Value>>> result(
      sets, SmallVector<SmallVector<Value>>(bs, SmallVector<Value>(as)));
  for (int64_t s = 0; s < sets; ++s)
    for (int64_t b = 0; b < bs; ++b)
      for (int64_t a = 0; a < as; ++a)
        result[s][b][a] = flat[(s * bs + b) * as + a];
  return result;
}

void moec::lowering::parallelFor(Emitter &e, Value count,
                                 function_ref<void(Emitter &, Value)> body) {
  auto forall = scf::ForallOp::create(
      e.b, e.loc, ArrayRef<OpFoldResult>{e.b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{count},
      ArrayRef<OpFoldResult>{e.b.getIndexAttr(1)}, ValueRange{}, std::nullopt);
  OpBuilder::InsertionGuard guard(e.b);
  e.b.setInsertionPoint(forall.getTerminator());
  Emitter inner{e.b, e.loc};
  body(inner, forall.getInductionVar(0));
}

Value moec::lowering::forEachFullTile(
    Emitter &e, Value lo, Value hi, int64_t rows,
    function_ref<void(Emitter &, Value)> body) {
  Value count = e.sub(hi, lo);
  Value fullTiles = e.div(count, e.index(rows));
  Value fullEnd = e.add(lo, e.mul(fullTiles, e.index(rows)));
  e.loop(lo, fullEnd, body, rows);
  return fullEnd;
}

void moec::lowering::forEachTile(Emitter &e, Value lo, Value hi, Value begin,
                                 Value end, std::optional<int64_t> uniformBlock,
                                 int64_t rows, int64_t cols, TileBody body) {
  auto visit = [&](Emitter &e, Value m0, int64_t tileRows, int64_t tileCols) {
    const bool exact = uniformBlock && *uniformBlock % tileCols == 0;
    SmallVector<Value> rowIds;
    for (int64_t i = 0; i < tileRows; ++i)
      rowIds.push_back(e.add(m0, e.index(i)));
    e.loop(
        begin, end, {},
        [&](Emitter &e, Value n0, ValueRange) {
          SmallVector<Value> colIds, colValid;
          for (int64_t c = 0; c < tileCols; ++c) {
            Value n = e.add(n0, e.index(c));
            if (exact) {
              colIds.push_back(n);
              continue;
            }
            colValid.push_back(e.cmpi(arith::CmpIPredicate::ult, n, end));
            colIds.push_back(e.minIndex(n, e.sub(end, e.index(1))));
          }
          body(e, rowIds, colIds,
               [&](Emitter &e, int64_t, int64_t c,
                   function_ref<void(Emitter &)> store) {
                 if (exact)
                   store(e);
                 else
                   e.when(colValid[c], store);
               });
          return SmallVector<Value>();
        },
        tileCols);
  };
  Value fullEnd = forEachFullTile(
      e, lo, hi, rows, [&](Emitter &e, Value m0) { visit(e, m0, rows, cols); });
  e.loop(fullEnd, hi,
         [&](Emitter &e, Value m) { visit(e, m, 1, cols * rows); });
}
