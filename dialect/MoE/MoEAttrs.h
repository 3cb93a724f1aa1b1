//===- MoEAttrs.h - moe enums and attributes -------------------*- C++ -*-===//
#ifndef MOE_MOEATTRS_H
#define MOE_MOEATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "MoE/MoEEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "MoE/MoEAttrs.h.inc"

#endif // MOE_MOEATTRS_H
