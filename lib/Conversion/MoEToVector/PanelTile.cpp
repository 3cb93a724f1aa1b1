//===- PanelTile.cpp - outer-product tiles over weights in panels ---------===//
#include "PanelTile.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace moec::lowering;

namespace {

/// Lane j of every Q-group of a loaded panel step (P * Q elements), widened
/// to f32: the P weights of input kq * Q + j. BF16 pairs are one i32 lane:
/// the low half shifted up, the high half masked, no shuffle.
Value widenLane(Emitter &e, Value raw, int64_t p, int64_t q, int64_t j) {
  auto rawType = cast<VectorType>(raw.getType());
  Type elem = rawType.getElementType();
  auto f32Type = VectorType::get({p}, e.b.getF32Type());
  if (q == 1)
    return elem.isF32() ? raw : arith::ExtFOp::create(e.b, e.loc, f32Type, raw);
  if (elem.isBF16() && q == 2) {
    auto i32Type = VectorType::get({p}, e.b.getI32Type());
    Value pairs = vector::BitCastOp::create(e.b, e.loc, i32Type, raw);
    Value bits;
    if (j == 0) {
      Value sixteen = arith::ConstantOp::create(
          e.b, e.loc,
          DenseElementsAttr::get(i32Type, e.b.getI32IntegerAttr(16)));
      bits = arith::ShLIOp::create(e.b, e.loc, pairs, sixteen);
    } else {
      Value high = arith::ConstantOp::create(
          e.b, e.loc,
          DenseElementsAttr::get(
              i32Type,
              e.b.getI32IntegerAttr(static_cast<int32_t>(0xFFFF0000u))));
      bits = arith::AndIOp::create(e.b, e.loc, pairs, high);
    }
    return vector::BitCastOp::create(e.b, e.loc, f32Type, bits);
  }
  SmallVector<int64_t> lanes;
  for (int64_t i = 0; i < p; ++i)
    lanes.push_back(i * q + j);
  Value picked = vector::ShuffleOp::create(e.b, e.loc, raw, raw, lanes);
  return elem.isF32() ? picked
                      : arith::ExtFOp::create(e.b, e.loc, f32Type, picked);
}

} // namespace

Panels moec::lowering::panelsOf(Emitter &e, Value packed, int64_t inputs) {
  auto type = cast<RankedTensorType>(packed.getType());
  // Identity layout: the function argument it comes from has it, and the
  // inner dimensions collapse.
  auto memType = MemRefType::get(type.getShape(), type.getElementType());
  Value mem = bufferization::ToBufferOp::create(e.b, e.loc, memType, packed,
                                                /*read_only=*/true);
  Panels result;
  result.panel = type.getDimSize(3);
  result.kPack = type.getDimSize(4);
  result.inputs = inputs;
  result.mem = memref::CollapseShapeOp::create(
      e.b, e.loc, mem, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
  return result;
}

SmallVector<SmallVector<SmallVector<Value>>>
moec::lowering::panelTile(Emitter &e, ArrayRef<Row> as,
                          ArrayRef<SmallVector<PanelRef>> sets) {
  const Panels &shape = *sets.front().front().panels;
  const int64_t p = shape.panel, q = shape.kPack, k = shape.inputs;
  const int64_t nA = as.size(), nB = sets.front().size(), nSets = sets.size();
  auto flat = [&](int64_t s, int64_t b, int64_t a) {
    return (s * nB + b) * nA + a;
  };
  auto f32Type = VectorType::get({p}, e.b.getF32Type());
  Value zero = arith::ConstantOp::create(
      e.b, e.loc, DenseElementsAttr::get(f32Type, e.b.getF32FloatAttr(0.0)));
  SmallVector<Value> init(nSets * nB * nA, zero);

  // One step: Q inputs (`lanes` of them valid) of group `group`. Each lane's
  // weights are widened just before its FMAs, so that only one lane's
  // vectors are live at a time.
  auto step = [&](Emitter &e, Value group, int64_t lanes,
                  SmallVector<Value> acc) {
    SmallVector<Value> raws;
    for (const SmallVector<PanelRef> &set : sets)
      for (const PanelRef &ref : set) {
        auto rawType = VectorType::get(
            {p * q},
            cast<MemRefType>(ref.panels->mem.getType()).getElementType());
        Value offset = e.mul(group, e.index(p * q));
        raws.push_back(
            vector::LoadOp::create(e.b, e.loc, rawType, ref.panels->mem,
                                   ValueRange{ref.matrix, ref.index, offset}));
      }
    Value first = e.mul(group, e.index(q));
    for (int64_t j = 0; j < lanes; ++j) {
      SmallVector<Value> weights;
      for (Value raw : raws)
        weights.push_back(widenLane(e, raw, p, q, j));
      Value input = e.add(first, e.index(j));
      for (int64_t a = 0; a < nA; ++a) {
        Value x = loadRow(e, as[a], input, 0);
        Value splat = vector::BroadcastOp::create(e.b, e.loc, f32Type, x);
        for (int64_t s = 0; s < nSets; ++s)
          for (int64_t b = 0; b < nB; ++b)
            acc[flat(s, b, a)] = vector::FMAOp::create(
                e.b, e.loc, splat, weights[s * nB + b], acc[flat(s, b, a)]);
      }
    }
    return acc;
  };

  const int64_t groups = k / q;
  Value begin = e.index(0), end = e.index(groups);
  ValueRange loop =
      e.loop(begin, end, init, [&](Emitter &e, Value group, ValueRange acc) {
        return step(e, group, q, SmallVector<Value>(acc));
      });
  SmallVector<Value> sums(loop.begin(), loop.end());
  if (k % q)
    sums = step(e, e.index(groups), k % q, sums);

  return regroupSums(sums, nSets, nB, nA);
}

void moec::lowering::forEachRowTile(
    Emitter &e, Value lo, Value hi, int64_t rows,
    function_ref<void(Emitter &, ArrayRef<Value>)> body) {
  auto visit = [&](Emitter &e, Value first, int64_t count) {
    SmallVector<Value> ids;
    for (int64_t i = 0; i < count; ++i)
      ids.push_back(e.add(first, e.index(i)));
    body(e, ids);
  };
  Value fullEnd = forEachFullTile(
      e, lo, hi, rows, [&](Emitter &e, Value first) { visit(e, first, rows); });
  if (rows == 1)
    return;
  Value rest = e.sub(hi, fullEnd);
  SmallVector<int64_t> cases;
  for (int64_t r = 1; r < rows; ++r)
    cases.push_back(r);
  auto select = scf::IndexSwitchOp::create(e.b, e.loc, TypeRange{}, rest, cases,
                                           cases.size());
  for (auto [i, r] : llvm::enumerate(cases)) {
    Block &block = select.getCaseRegions()[i].emplaceBlock();
    OpBuilder::InsertionGuard guard(e.b);
    e.b.setInsertionPointToStart(&block);
    Emitter in{e.b, e.loc};
    visit(in, fullEnd, r);
    scf::YieldOp::create(e.b, e.loc);
  }
  Block &none = select.getDefaultRegion().emplaceBlock();
  OpBuilder::InsertionGuard guard(e.b);
  e.b.setInsertionPointToStart(&none);
  scf::YieldOp::create(e.b, e.loc);
}

void moec::lowering::forEachPanelTile(
    Emitter &e, Value block, int64_t count, int64_t perBlock, int64_t cols,
    function_ref<void(Emitter &, Value, int64_t)> body) {
  // The tiles of `n` panels from `first`: full ones in a loop, then the rest.
  auto tiles = [&](Emitter &e, Value first, int64_t n) {
    const int64_t full = n / cols * cols;
    if (full > 0) {
      Value end = e.add(first, e.index(full));
      e.loop(
          first, end, [&](Emitter &e, Value p) { body(e, p, cols); }, cols);
    }
    if (n % cols) {
      Value rest = e.add(first, e.index(full));
      body(e, rest, n % cols);
    }
  };
  Value first = e.mul(block, e.index(perBlock));
  const int64_t blocks = (count + perBlock - 1) / perBlock;
  const int64_t last = count - (blocks - 1) * perBlock;
  if (last == perBlock) {
    tiles(e, first, perBlock);
    return;
  }
  Value isLast = e.cmpi(arith::CmpIPredicate::eq, block, e.index(blocks - 1));
  e.when(
      isLast, [&](Emitter &e) { tiles(e, first, last); },
      [&](Emitter &e) { tiles(e, first, perBlock); });
}
