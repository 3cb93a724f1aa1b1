//===- MoEAttrs.h - moe enums -------------------*- C++ -*-===//
#ifndef MOE_MOEATTRS_H
#define MOE_MOEATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "MoE/MoEEnums.h.inc"

#endif // MOE_MOEATTRS_H
