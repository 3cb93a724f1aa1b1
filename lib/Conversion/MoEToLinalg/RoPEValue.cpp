//===- RoPEValue.cpp - one value of a row after RoPE ----------------------===//
#include "moec/Conversion/RoPEValue.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace moec::lowering;

namespace {

/// cos and sin of pair j's angle at `position`, in f64 times the RoPE's
/// factor, rounded once to f32.
std::pair<Value, Value> cosSin(Emitter &e, Value j, Value position,
                               moe::RoPEAttr rope,
                               function_ref<Value(Emitter &, Value)> freq) {
  Type f64 = e.b.getF64Type(), f32 = e.b.getF32Type();
  Value i64 =
      arith::IndexCastUIOp::create(e.b, e.loc, e.b.getI64Type(), position);
  Value where = arith::UIToFPOp::create(e.b, e.loc, f64, i64);
  Value angle = e.mul(where, freq(e, j));
  Value scale = arith::ConstantOp::create(
      e.b, e.loc, e.b.getF64FloatAttr(rope.getCosSinFactor()));
  Value cos64 = e.mul(math::CosOp::create(e.b, e.loc, angle), scale);
  Value sin64 = e.mul(math::SinOp::create(e.b, e.loc, angle), scale);
  return {arith::TruncFOp::create(e.b, e.loc, f32, cos64),
          arith::TruncFOp::create(e.b, e.loc, f32, sin64)};
}

} // namespace

Value moec::lowering::emitRoPEValue(
    Emitter &e, Value c, Value position, moe::RoPEAttr rope,
    function_ref<Value(Emitter &, Value)> freq,
    function_ref<Value(Emitter &, Value)> load) {
  const int64_t dim = rope.getHeadDim(), half = dim / 2;
  const bool interleaved = rope.isInterleaved();
  Value inHead = e.rem(c, e.index(dim));
  Value first, j;
  if (interleaved) {
    Value parity = e.rem(inHead, e.index(2));
    first = e.cmpi(arith::CmpIPredicate::eq, parity, e.index(0));
    j = e.div(inHead, e.index(2));
  } else {
    first = e.cmpi(arith::CmpIPredicate::ult, inHead, e.index(half));
    Value second = e.sub(inHead, e.index(half));
    j = e.select(first, inHead, second);
  }
  const int64_t gap = interleaved ? 1 : half;
  Value above = e.add(c, e.index(gap));
  Value below = e.sub(c, e.index(gap));
  Value partner = e.select(first, above, below);

  std::pair<Value, Value> cs = cosSin(e, j, position, rope, freq);
  Value cos = cs.first, sin = cs.second;
  Value self = load(e, c);
  Value other = load(e, partner);
  // First of the pair: a cos - b sin; second: b cos + a sin.
  Value selfCos = e.mul(self, cos);
  Value otherSin = e.mul(other, sin);
  Value difference = arith::SubFOp::create(e.b, e.loc, selfCos, otherSin);
  Value sum = e.add(selfCos, otherSin);
  return e.select(first, difference, sum);
}

std::pair<Value, Value> moec::lowering::emitRoPEPair(
    Emitter &e, Value j, Value position, moe::RoPEAttr rope,
    function_ref<Value(Emitter &, Value)> freq, Value a, Value b) {
  std::pair<Value, Value> cs = cosSin(e, j, position, rope, freq);
  Value cos = cs.first, sin = cs.second;
  Value first = arith::SubFOp::create(e.b, e.loc, e.mul(a, cos), e.mul(b, sin));
  Value second = e.add(e.mul(b, cos), e.mul(a, sin));
  return {first, second};
}
