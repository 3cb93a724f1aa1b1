//===- MoEOps.h - moe operations -------------------------------*- C++ -*-===//
#ifndef MOE_MOEOPS_H
#define MOE_MOEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "MoE/MoEAttrs.h"
#include "MoE/MoEDialect.h"

namespace mlir::moe::OpTrait {

/// Verifies that every attribute of the op is either inherent (declared by
/// the op) or a discardable attribute with a dialect prefix (`dialect.name`).
LogicalResult verifyNoUnknownAttributes(Operation *op);

template <typename ConcreteType>
class NoUnknownAttributes
    : public ::mlir::OpTrait::TraitBase<ConcreteType, NoUnknownAttributes> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return verifyNoUnknownAttributes(op);
  }
};

} // namespace mlir::moe::OpTrait

#define GET_OP_CLASSES
#include "MoE/MoEOps.h.inc"

#endif // MOE_MOEOPS_H
