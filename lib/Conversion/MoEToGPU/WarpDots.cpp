//===- WarpDots.cpp - dot products a warp shares, for bandwidth -----------===//
#include "WarpDots.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace moec::lowering;

SmallVector<Value> moec::lowering::selectValues(
    Emitter &e, Value cond, function_ref<SmallVector<Value>(Emitter &)> then,
    function_ref<SmallVector<Value>(Emitter &)> otherwise) {
  auto branch = [](function_ref<SmallVector<Value>(Emitter &)> body) {
    return [body](OpBuilder &b, Location l) {
      Emitter in{b, l};
      scf::YieldOp::create(b, l, body(in));
    };
  };
  auto op =
      scf::IfOp::create(e.b, e.loc, cond, branch(then), branch(otherwise));
  return SmallVector<Value>(op.getResults());
}

int64_t moec::lowering::vectorWidth(int64_t n) {
  for (int64_t width : {8, 4, 2})
    if (n % width == 0)
      return width;
  return 1;
}

Value moec::lowering::loadVector(Emitter &e, Value mem, ValueRange indices,
                                 int64_t width) {
  Type element = cast<MemRefType>(mem.getType()).getElementType();
  auto type = VectorType::get({width}, element);
  llvm::MaybeAlign alignment(width * element.getIntOrFloatBitWidth() / 8);
  Value v = vector::LoadOp::create(e.b, e.loc, type, mem, indices,
                                   /*nontemporal=*/false, alignment);
  if (element.isF32())
    return v;
  return arith::ExtFOp::create(e.b, e.loc, type.clone(e.b.getF32Type()), v);
}

SmallVector<Value>
moec::lowering::laneDots(Emitter &e, int64_t n, Value lane, unsigned rows,
                         function_ref<Value(Emitter &, Value)> act,
                         function_ref<Value(Emitter &, unsigned, Value)> row) {
  const int64_t width = vectorWidth(n);
  const int64_t vectors = n / width;
  const int64_t turns = (vectors + kWarpSize - 1) / kWarpSize;
  auto type = VectorType::get({width}, e.b.getF32Type());
  Value zero = arith::ConstantOp::create(
      e.b, e.loc, DenseElementsAttr::get(type, e.b.getF32FloatAttr(0.0)));
  SmallVector<Value> init(rows, zero);
  Value first = e.index(0), end = e.index(turns);
  ValueRange sums = e.loop(
      first, end, init,
      [&](Emitter &e, Value turn, ValueRange acc) -> SmallVector<Value> {
        Value turnStart = e.mul(turn, e.index(kWarpSize));
        Value vec = e.add(turnStart, lane);
        auto accumulate = [&](Emitter &e) {
          Value h = e.mul(vec, e.index(width));
          Value a = act(e, h);
          SmallVector<Value> next;
          for (unsigned i = 0; i < rows; ++i) {
            Value w = row(e, i, h);
            next.push_back(e.add(acc[i], e.mul(a, w)));
          }
          return next;
        };
        if (vectors % kWarpSize == 0)
          return accumulate(e);
        // The last turn has fewer vectors than lanes.
        return selectValues(
            e, e.cmpi(arith::CmpIPredicate::ult, vec, e.index(vectors)),
            accumulate, [&](Emitter &) { return SmallVector<Value>(acc); });
      });
  SmallVector<Value> partial;
  for (Value sum : sums)
    partial.push_back(vector::ReductionOp::create(
        e.b, e.loc, vector::CombiningKind::ADD, sum));
  return partial;
}

CellRows::CellRows(Emitter &e, const WarpCell &cell, int64_t count) {
  Value first = e.mul(cell.cell, e.index(kRowsPerWarp));
  Value last = e.index(count - 1);
  Value countV = e.index(count);
  for (int64_t i = 0; i < kRowsPerWarp; ++i) {
    Value row = e.add(first, e.index(i));
    Value inside = e.cmpi(arith::CmpIPredicate::ult, row, countV);
    rows.push_back(e.minIndex(row, last));
    real.push_back(e.andi(cell.real, inside));
  }
}

void moec::lowering::storeFromLaneZero(Emitter &e, const WarpCell &cell,
                                       Value real,
                                       function_ref<void(Emitter &)> store) {
  Value laneZero = e.cmpi(arith::CmpIPredicate::eq, cell.lane, e.index(0));
  e.when(e.andi(laneZero, real), store);
}

Value moec::lowering::cellsOf(Emitter &e, int64_t rows) {
  return e.index((rows + kRowsPerWarp - 1) / kRowsPerWarp);
}

Value moec::lowering::loadElements(Emitter &e, Value mem, ValueRange indices,
                                   int64_t width) {
  SmallVector<Value> at(indices);
  SmallVector<Value> elements;
  for (int64_t i = 0; i < width; ++i) {
    SmallVector<Value> idx(at);
    idx.back() = e.add(at.back(), e.index(i));
    elements.push_back(e.toF32(e.load(mem, idx)));
  }
  auto type = VectorType::get({width}, e.b.getF32Type());
  return vector::FromElementsOp::create(e.b, e.loc, type, elements);
}

void moec::lowering::emitWarpProducts(
    Emitter &e, StringRef name, Value x, Value out, Value residual,
    int64_t heads, int64_t outputs, int64_t depth,
    function_ref<Value(Emitter &, Value, Value, Value)> weightAt) {
  const int64_t width = vectorWidth(depth);
  const int64_t cellsPerHead = (outputs + kRowsPerWarp - 1) / kRowsPerWarp;
  Value tokens = e.dim(x, 0);
  Value cells = e.index(heads * cellsPerHead);
  launchWarpPerCell(
      e, name, tokens, cells, [&](Emitter &e, const WarpCell &cell) {
        Value perHead = e.index(cellsPerHead);
        Value g = e.div(cell.cell, perHead);
        Value inHead = e.rem(cell.cell, perHead);
        CellRows ns(e, WarpCell{cell.row, inHead, cell.lane, cell.real},
                    outputs);
        Value t = cell.row;
        Value xBase = e.mul(g, e.index(depth));
        Value outBase = e.mul(g, e.index(outputs));
        SmallVector<Value> partial = laneDots(
            e, depth, cell.lane, kRowsPerWarp,
            [&](Emitter &e, Value k) {
              Value column = e.add(xBase, k);
              return loadElements(e, x, {t, column}, width);
            },
            [&](Emitter &e, unsigned i, Value k) {
              return weightAt(e, g, ns.rows[i], k);
            });
        SmallVector<Value> sums = warpSum(e, partial);
        for (int64_t i = 0; i < kRowsPerWarp; ++i)
          storeFromLaneZero(e, cell, ns.real[i], [&](Emitter &e) {
            Value column = e.add(outBase, ns.rows[i]);
            Value v = sums[i];
            if (residual)
              v = e.add(v, e.load(residual, {t, column}));
            e.store(v, out, {t, column});
          });
      });
}
