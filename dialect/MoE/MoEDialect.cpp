//===- MoEDialect.cpp - the moe dialect -----------------------------------===//
#include "MoE/MoEDialect.h"
#include "MoE/MoEAttrs.h"
#include "MoE/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::moe;

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include "MoE/MoEEnums.cpp.inc"
#include "MoE/MoEOpsDialect.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "MoE/MoEAttrs.cpp.inc"

void MoEDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "MoE/MoEOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "MoE/MoEAttrs.cpp.inc"
      >();
}
