//===- Passes.h - moe transformation passes --------------------*- C++ -*-===//
#ifndef MOEC_TRANSFORMS_PASSES_H
#define MOEC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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

/// Patterns that lower moe.latent_attention: absorbed into the query and
/// output sides, or, in calls with at least `expandMinTokens` (> 0) new
/// tokens, with keys and values expanded from the cache.
void populateDecomposeLatentAttentionPatterns(mlir::RewritePatternSet &patterns,
                                              int64_t expandMinTokens);

#define GEN_PASS_REGISTRATION
#include "moec/Transforms/Passes.h.inc"

} // namespace moec

#endif // MOEC_TRANSFORMS_PASSES_H
