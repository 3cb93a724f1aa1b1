//===- Emitter.h - terse builders for scalar loop nests --------*- C++ -*-===//
//
// The routing ops (top-k, dispatch) are small, data-dependent scalar loop
// nests over buffers. These helpers keep their lowering readable: the code
// reads like the algorithm in the op descriptions.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_CONVERSION_EMITTER_H
#define MOEC_CONVERSION_EMITTER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

namespace moec::lowering {

/// A builder at one location with short names for the scalar operations the
/// routing loops need.
///
/// Each method creates its op at the insertion point, and C++ leaves the
/// order of a call's arguments unspecified (g++ evaluates them right to
/// left, clang left to right). Callers therefore name each op-creating
/// argument before a call that takes more than one, so that the IR is the
/// same whichever compiler built moec. (The elements of a braced list are
/// evaluated in order.)
struct Emitter {
  mlir::OpBuilder &b;
  mlir::Location loc;

  mlir::Value index(int64_t v) {
    return mlir::arith::ConstantIndexOp::create(b, loc, v);
  }
  mlir::Value f32(double v) {
    return mlir::arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  mlir::Value i32(int64_t v) {
    return mlir::arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  mlir::Value boolean(bool v) {
    return mlir::arith::ConstantOp::create(b, loc, b.getBoolAttr(v));
  }
  mlir::Value load(mlir::Value mem, mlir::ValueRange idx) {
    return mlir::memref::LoadOp::create(b, loc, mem, idx);
  }
  void store(mlir::Value v, mlir::Value mem, mlir::ValueRange idx) {
    mlir::memref::StoreOp::create(b, loc, v, mem, idx);
  }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    if (mlir::isa<mlir::FloatType>(mlir::getElementTypeOrSelf(x.getType())))
      return mlir::arith::AddFOp::create(b, loc, x, y);
    return mlir::arith::AddIOp::create(b, loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    if (mlir::isa<mlir::FloatType>(mlir::getElementTypeOrSelf(x.getType())))
      return mlir::arith::MulFOp::create(b, loc, x, y);
    return mlir::arith::MulIOp::create(b, loc, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) {
    return mlir::arith::SubIOp::create(b, loc, x, y);
  }
  mlir::Value div(mlir::Value x, mlir::Value y) {
    if (mlir::isa<mlir::FloatType>(mlir::getElementTypeOrSelf(x.getType())))
      return mlir::arith::DivFOp::create(b, loc, x, y);
    return mlir::arith::DivUIOp::create(b, loc, x, y);
  }
  mlir::Value rem(mlir::Value x, mlir::Value y) {
    return mlir::arith::RemUIOp::create(b, loc, x, y);
  }
  mlir::Value minIndex(mlir::Value x, mlir::Value y) {
    return mlir::arith::MinUIOp::create(b, loc, x, y);
  }
  mlir::Value cmpf(mlir::arith::CmpFPredicate p, mlir::Value x, mlir::Value y) {
    return mlir::arith::CmpFOp::create(b, loc, p, x, y);
  }
  mlir::Value cmpi(mlir::arith::CmpIPredicate p, mlir::Value x, mlir::Value y) {
    return mlir::arith::CmpIOp::create(b, loc, p, x, y);
  }
  mlir::Value select(mlir::Value c, mlir::Value x, mlir::Value y) {
    return mlir::arith::SelectOp::create(b, loc, c, x, y);
  }
  mlir::Value andi(mlir::Value x, mlir::Value y) {
    return mlir::arith::AndIOp::create(b, loc, x, y);
  }
  mlir::Value ori(mlir::Value x, mlir::Value y) {
    return mlir::arith::OrIOp::create(b, loc, x, y);
  }
  mlir::Value notI1(mlir::Value x) {
    return mlir::arith::XOrIOp::create(b, loc, x, boolean(true));
  }
  mlir::Value toIndex(mlir::Value v) {
    return mlir::arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  mlir::Value toI32(mlir::Value v) {
    return mlir::arith::IndexCastOp::create(b, loc, b.getI32Type(), v);
  }
  /// Widens a weight element (f16/bf16/f32) to f32.
  mlir::Value toF32(mlir::Value v) {
    if (v.getType().isF32())
      return v;
    return mlir::arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  }
  mlir::Value dim(mlir::Value shaped, int64_t i) {
    if (mlir::isa<mlir::MemRefType>(shaped.getType()))
      return mlir::memref::DimOp::create(b, loc, shaped, i);
    return mlir::tensor::DimOp::create(b, loc, shaped, i);
  }

  /// `for iv in [lb, ub) step step` with loop-carried values; `body`
  /// returns the values to yield.
  mlir::ValueRange
  loop(mlir::Value lb, mlir::Value ub, mlir::ValueRange init,
       llvm::function_ref<llvm::SmallVector<mlir::Value>(Emitter &, mlir::Value,
                                                         mlir::ValueRange)>
           body,
       int64_t step = 1) {
    auto forOp = mlir::scf::ForOp::create(
        b, loc, lb, ub, index(step), init,
        [&](mlir::OpBuilder &nested, mlir::Location l, mlir::Value iv,
            mlir::ValueRange args) {
          Emitter e{nested, l};
          llvm::SmallVector<mlir::Value> results = body(e, iv, args);
          mlir::scf::YieldOp::create(nested, l, results);
        });
    return forOp.getResults();
  }
  /// `for iv in [lb, ub) step step` without loop-carried values.
  void loop(mlir::Value lb, mlir::Value ub,
            llvm::function_ref<void(Emitter &, mlir::Value)> body,
            int64_t step = 1) {
    loop(
        lb, ub, {},
        [&](Emitter &e, mlir::Value iv, mlir::ValueRange) {
          body(e, iv);
          return llvm::SmallVector<mlir::Value>();
        },
        step);
  }
  /// As above over constant bounds (lb's constant created first).
  void loop(int64_t lb, int64_t ub,
            llvm::function_ref<void(Emitter &, mlir::Value)> body) {
    mlir::Value lower = index(lb);
    mlir::Value upper = index(ub);
    loop(lower, upper, body);
  }
  /// `for iv in [lb, ub) step step` over constant bounds, without
  /// loop-carried values.
  void loop(int64_t lb, int64_t ub, int64_t step,
            llvm::function_ref<void(Emitter &, mlir::Value)> body) {
    mlir::Value lower = index(lb);
    mlir::Value upper = index(ub);
    loop(lower, upper, body, step);
  }
  /// `if cond { then }` without results.
  void when(mlir::Value cond, llvm::function_ref<void(Emitter &)> then) {
    mlir::scf::IfOp::create(b, loc, cond,
                            [&](mlir::OpBuilder &nested, mlir::Location l) {
                              Emitter e{nested, l};
                              then(e);
                              mlir::scf::YieldOp::create(nested, l);
                            });
  }
  /// `if cond { then } else { otherwise }` without results.
  void when(mlir::Value cond, llvm::function_ref<void(Emitter &)> then,
            llvm::function_ref<void(Emitter &)> otherwise) {
    auto branch = [](llvm::function_ref<void(Emitter &)> body) {
      return [body](mlir::OpBuilder &nested, mlir::Location l) {
        Emitter e{nested, l};
        body(e);
        mlir::scf::YieldOp::create(nested, l);
      };
    };
    mlir::scf::IfOp::create(b, loc, cond, branch(then), branch(otherwise));
  }

  /// A read-only buffer view of a tensor operand. With `unitInnerStride`
  /// rows are contiguous, as vector loads need.
  mlir::Value buffer(mlir::Value tensor, bool unitInnerStride = false) {
    auto type = mlir::cast<mlir::RankedTensorType>(tensor.getType());
    llvm::SmallVector<int64_t> strides(type.getRank(),
                                       mlir::ShapedType::kDynamic);
    if (unitInnerStride && !strides.empty())
      strides.back() = 1;
    auto layout = mlir::StridedLayoutAttr::get(
        b.getContext(), mlir::ShapedType::kDynamic, strides);
    auto memType =
        mlir::MemRefType::get(type.getShape(), type.getElementType(), layout);
    return mlir::bufferization::ToBufferOp::create(b, loc, memType, tensor,
                                                   /*read_only=*/true);
  }
  /// A new buffer of `type`'s shape whose dynamic sizes are `dynSizes`.
  mlir::Value alloc(mlir::RankedTensorType type, mlir::ValueRange dynSizes) {
    auto memType =
        mlir::MemRefType::get(type.getShape(), type.getElementType());
    return mlir::memref::AllocOp::create(b, loc, memType, dynSizes);
  }
  /// The tensor that `alloc`'s buffer holds once the loops have filled it.
  mlir::Value tensor(mlir::RankedTensorType type, mlir::Value buffer) {
    return mlir::bufferization::ToTensorOp::create(
        b, loc, type, buffer, /*restrict=*/true, /*writable=*/true);
  }
};

} // namespace moec::lowering

#endif // MOEC_CONVERSION_EMITTER_H
