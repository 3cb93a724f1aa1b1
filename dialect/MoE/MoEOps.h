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

#define GET_OP_CLASSES
#include "MoE/MoEOps.h.inc"

#endif // MOE_MOEOPS_H
