//===- Patterns.h - the patterns of convert-moe-to-gpu ---------*- C++ -*-===//
#ifndef MOEC_LIB_CONVERSION_MOETOGPU_PATTERNS_H
#define MOEC_LIB_CONVERSION_MOETOGPU_PATTERNS_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace moec::lowering {

/// moe.router_scores, moe.topk, moe.append_shared_experts and moe.dispatch
/// as kernels.
void populateRoutingToGPUPatterns(mlir::RewritePatternSet &patterns);

/// moe.expert_ffn and moe.swiglu as gate/up, down and combine kernels.
void populateExpertsToGPUPatterns(mlir::RewritePatternSet &patterns);

/// The decoder ops around the MLP block (moe.embedding, moe.rms_norm,
/// moe.linear without a RoPE epilogue, moe.head_matmul, moe.rope and
/// moe.attention) as kernels.
void populateDecoderToGPUPatterns(mlir::RewritePatternSet &patterns);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOGPU_PATTERNS_H
