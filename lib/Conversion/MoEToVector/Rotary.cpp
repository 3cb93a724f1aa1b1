//===- Rotary.cpp - RoPE angles and rotations in kernels ------------------===//
#include "Rotary.h"

#include "DotTile.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace moec::lowering;

RotaryTable moec::lowering::buildRotaryTable(Emitter &e, Value start,
                                             Value tokens, moe::RoPEAttr rope) {
  const int64_t half = rope.getHeadDim() / 2;
  SmallVector<double> freqs = rope.getInverseFrequencies();
  const double factor = rope.getCosSinFactor();
  Type f64 = e.b.getF64Type(), f32 = e.b.getF32Type();
  auto freqType = RankedTensorType::get({half}, f64);
  Value freqTensor = arith::ConstantOp::create(
      e.b, e.loc, DenseElementsAttr::get(freqType, ArrayRef<double>(freqs)));
  Value freq = e.buffer(freqTensor);

  auto tableType = RankedTensorType::get({ShapedType::kDynamic, half}, f32);
  RotaryTable table{e.alloc(tableType, tokens), e.alloc(tableType, tokens),
                    half};
  parallelFor(e, tokens, [&](Emitter &e, Value t) {
    Value pos = arith::UIToFPOp::create(
        e.b, e.loc, f64,
        arith::IndexCastUIOp::create(e.b, e.loc, e.b.getI64Type(),
                                     e.add(start, t)));
    e.loop(0, half, [&](Emitter &e, Value j) {
      Value angle = e.mul(pos, e.load(freq, j));
      Value scale =
          arith::ConstantOp::create(e.b, e.loc, e.b.getF64FloatAttr(factor));
      Value c = e.mul(math::CosOp::create(e.b, e.loc, angle), scale);
      Value s = e.mul(math::SinOp::create(e.b, e.loc, angle), scale);
      e.store(arith::TruncFOp::create(e.b, e.loc, f32, c), table.cos, {t, j});
      e.store(arith::TruncFOp::create(e.b, e.loc, f32, s), table.sin, {t, j});
    });
  });
  return table;
}

std::pair<Value, Value> moec::lowering::rotatePair(Emitter &e,
                                                   const RotaryTable &table,
                                                   Value t, Value j, Value a,
                                                   Value b) {
  Value c = e.load(table.cos, {t, j});
  Value s = e.load(table.sin, {t, j});
  Value ac = e.mul(a, c);
  Value bs = e.mul(b, s);
  Value ra = arith::SubFOp::create(e.b, e.loc, ac, bs);
  Value bc = e.mul(b, c);
  Value as = e.mul(a, s);
  Value rb = e.add(bc, as);
  return {ra, rb};
}
