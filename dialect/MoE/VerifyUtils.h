//===- VerifyUtils.h - shared pieces of the moe verifiers ------*- C++ -*-===//
//
// Every verifier names the operand and the quantity that disagree, in the
// words of the model ("router weight has hidden size 2047 but x has 2048").
//
//===----------------------------------------------------------------------===//
#ifndef MOE_VERIFYUTILS_H
#define MOE_VERIFYUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

namespace mlir::moe::verify {

/// Dimension `i` of the shaped value `v`.
inline int64_t dim(Value v, unsigned i) {
  return cast<ShapedType>(v.getType()).getDimSize(i);
}

/// Checks that two sizes agree where both are known: "<lhs> has <what> <a>
/// but <rhs> has <b>".
inline LogicalResult checkSame(Operation *op, StringRef what, StringRef lhs,
                               int64_t a, StringRef rhs, int64_t b) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b)
    return success();
  return op->emitOpError() << lhs << " has " << what << " " << a << " but "
                           << rhs << " has " << b;
}

/// Checks that a size the op needs at compile time is static.
inline LogicalResult checkStatic(Operation *op, StringRef what, int64_t d) {
  if (!ShapedType::isDynamic(d))
    return success();
  return op->emitOpError() << what << " must be static";
}

} // namespace mlir::moe::verify

#endif // MOE_VERIFYUTILS_H
