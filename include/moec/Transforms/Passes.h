//===- Passes.h - moe transformation passes --------------------*- C++ -*-===//
#ifndef MOEC_TRANSFORMS_PASSES_H
#define MOEC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace moec {

#define GEN_PASS_DECL
#include "moec/Transforms/Passes.h.inc"

/// Patterns that rewrite moe.block into its parts.
void populateDecomposeBlockPatterns(mlir::RewritePatternSet &patterns);

/// Patterns that move shared experts into the grouped expert op.
void populateFoldSharedExpertsPatterns(mlir::RewritePatternSet &patterns);

/// Patterns that fuse permute + grouped SwiGLU + combine into
/// moe.expert_ffn.
void populateFuseExpertFFNPatterns(mlir::RewritePatternSet &patterns);

/// Patterns that expand moe.expert_ffn back into permute + grouped SwiGLU +
/// combine (the unfused reference lowering).
void populateUnfuseExpertFFNPatterns(mlir::RewritePatternSet &patterns);

/// Patterns that fold moe.rope and arith.addf users into moe.linear.
void populateFuseLinearEpiloguesPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "moec/Transforms/Passes.h.inc"

} // namespace moec

#endif // MOEC_TRANSFORMS_PASSES_H
