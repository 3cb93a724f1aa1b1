//===- MoEToLinalg.h - lower moe ops to linalg and loops -------*- C++ -*-===//
#ifndef MOEC_CONVERSION_MOETOLINALG_H
#define MOEC_CONVERSION_MOETOLINALG_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace moec {

#define GEN_PASS_DECL_CONVERTMOETOLINALG
#include "moec/Conversion/Passes.h.inc"

/// moe.topk and moe.dispatch as scalar loop nests over buffers.
void populateRoutingToLoopsPatterns(mlir::RewritePatternSet &patterns);

/// moe.router_scores as a linalg matmul and softmax or sigmoid.
void populateRouterScoresToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// moe.swiglu and moe.grouped_swiglu (a loop over expert segments) as
/// linalg on tensors.
void populateSwiGLUToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// The data movement of dispatch and combine (moe.permute, moe.combine,
/// moe.append_shared_experts) as linalg on tensors.
void populatePermuteCombineToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// The decoder ops around the MLP block (moe.embedding, moe.rms_norm,
/// moe.linear, moe.rope) as linalg on tensors.
void populateDecoderToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// moe.attention as scalar loops over buffers, one (head, query) at a time.
void populateAttentionToLoopsPatterns(mlir::RewritePatternSet &patterns);

/// moe.unpack_weights as a copy of the matrices out of their panels.
void populateUnpackWeightsToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace moec

#endif // MOEC_CONVERSION_MOETOLINALG_H
