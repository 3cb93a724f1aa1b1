//===- Patterns.h - convert-moe-to-vector's patterns ----------*- C++ -*-===//
//
// One family per file; populateMoEToVectorPatterns (moec/Conversion/
// MoEToVector.h) adds them all.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_CONVERSION_MOETOVECTOR_PATTERNS_H
#define MOEC_LIB_CONVERSION_MOETOVECTOR_PATTERNS_H

#include "moec/Conversion/MoEToVector.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace moec::lowering {

/// moe.expert_ffn as three parallel phases of dot-product tiles.
void populateExpertFFNToVectorPatterns(mlir::RewritePatternSet &patterns,
                                       const ExpertKernelTiling &tiling);

/// moe.linear as dot-product tiles with RoPE and residual epilogues.
void populateLinearToVectorPatterns(mlir::RewritePatternSet &patterns,
                                    const ExpertKernelTiling &tiling);

/// moe.rms_norm as vector loops per row.
void populateRMSNormToVectorPatterns(mlir::RewritePatternSet &patterns,
                                     const ExpertKernelTiling &tiling);

/// moe.embedding as vector row copies.
void populateEmbeddingToVectorPatterns(mlir::RewritePatternSet &patterns,
                                       const ExpertKernelTiling &tiling);

/// moe.rope on buffers.
void populateRoPEToVectorPatterns(mlir::RewritePatternSet &patterns);

/// moe.attention with an online softmax per (head, query row).
void populateAttentionToVectorPatterns(mlir::RewritePatternSet &patterns,
                                       const ExpertKernelTiling &tiling);

/// moe.head_matmul as dot-product tiles (transposed weights) or sums of
/// weight rows (untransposed), per (head, block of rows).
void populateHeadMatmulToVectorPatterns(mlir::RewritePatternSet &patterns,
                                        const ExpertKernelTiling &tiling);

/// moe.router_scores as dot-product tiles, then softmax or sigmoid.
void populateRouterScoresToVectorPatterns(mlir::RewritePatternSet &patterns,
                                          const ExpertKernelTiling &tiling);

/// moe.swiglu as a moe.expert_ffn with one expert.
void populateSwiGLUAsExpertFFNPatterns(mlir::RewritePatternSet &patterns);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOVECTOR_PATTERNS_H
