//===- LinalgBuilders.cpp - linalg on tensors for the moe lowerings -------===//
#include "LinalgBuilders.h"

#include "moec/Conversion/Emitter.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace moec::lowering {

Value filled(OpBuilder &b, Location loc, OpFoldResult rows, OpFoldResult cols,
             float v) {
  SmallVector<Value> dynSizes;
  SmallVector<int64_t> shape;
  for (OpFoldResult d : {rows, cols}) {
    std::optional<int64_t> c = getConstantIntValue(d);
    shape.push_back(c ? *c : ShapedType::kDynamic);
    if (!c)
      dynSizes.push_back(cast<Value>(d));
  }
  Value empty = bufferization::AllocTensorOp::create(
      b, loc, RankedTensorType::get(shape, b.getF32Type()), dynSizes);
  Value cst = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  return linalg::FillOp::create(b, loc, cst, empty).getResult(0);
}

OpFoldResult dimOf(OpBuilder &b, Location loc, Value tensor, int64_t i) {
  return tensor::getMixedSize(b, loc, tensor, i);
}

AffineMap map(MLIRContext *ctx, unsigned dims, ArrayRef<unsigned> results) {
  SmallVector<AffineExpr> exprs;
  for (unsigned r : results)
    exprs.push_back(getAffineDimExpr(r, ctx));
  return AffineMap::get(dims, 0, exprs, ctx);
}

Value matmulTransposedB(OpBuilder &b, Location loc, Value a, Value bMat,
                        Value init) {
  MLIRContext *ctx = b.getContext();
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{a, bMat}, ValueRange{init},
      ArrayRef{map(ctx, 3, {0, 2}), map(ctx, 3, {1, 2}), map(ctx, 3, {0, 1})},
      ArrayRef{kPar, kPar, kRed},
      [](OpBuilder &nb, Location l, ValueRange args) {
        Emitter e{nb, l};
        Value prod = e.mul(args[0], e.toF32(args[1]));
        linalg::YieldOp::create(nb, l, e.add(args[2], prod));
      });
  return generic.getResult(0);
}

Value swiglu(OpBuilder &b, Location loc, Value x, Value gate, Value up,
             Value down, Value dest) {
  MLIRContext *ctx = b.getContext();
  OpFoldResult rows = dimOf(b, loc, x, 0);
  OpFoldResult width = dimOf(b, loc, gate, 0);
  Value gateInit = filled(b, loc, rows, width, 0.0f);
  Value upInit = filled(b, loc, rows, width, 0.0f);
  // Gate and up projections share the loop nest over (m, n, k).
  auto gateUp = linalg::GenericOp::create(
      b, loc, TypeRange{gateInit.getType(), upInit.getType()},
      ValueRange{x, gate, up}, ValueRange{gateInit, upInit},
      ArrayRef{map(ctx, 3, {0, 2}), map(ctx, 3, {1, 2}), map(ctx, 3, {1, 2}),
               map(ctx, 3, {0, 1}), map(ctx, 3, {0, 1})},
      ArrayRef{kPar, kPar, kRed},
      [](OpBuilder &nb, Location l, ValueRange args) {
        Emitter e{nb, l};
        Value g = e.add(args[3], e.mul(args[0], e.toF32(args[1])));
        Value u = e.add(args[4], e.mul(args[0], e.toF32(args[2])));
        linalg::YieldOp::create(nb, l, ValueRange{g, u});
      });
  Value empty =
      tensor::EmptyOp::create(b, loc, ArrayRef{rows, width}, b.getF32Type());
  auto identity = map(ctx, 2, {0, 1});
  auto act = linalg::GenericOp::create(
      b, loc, empty.getType(), gateUp.getResults(), ValueRange{empty},
      ArrayRef{identity, identity, identity}, ArrayRef{kPar, kPar},
      [](OpBuilder &nb, Location l, ValueRange args) {
        // silu(g) * u = g * u / (1 + exp(-g))
        Emitter e{nb, l};
        Value negG = arith::NegFOp::create(nb, l, args[0]);
        Value one = e.f32(1.0);
        Value denom = e.add(one, math::ExpOp::create(nb, l, negG));
        Value silu = e.div(args[0], denom);
        linalg::YieldOp::create(nb, l, e.mul(silu, args[1]));
      });
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value out = linalg::FillOp::create(b, loc, zero, dest).getResult(0);
  return matmulTransposedB(b, loc, act.getResult(0), down, out);
}

} // namespace moec::lowering
