//===- Patterns.h - the patterns of convert-moe-to-gpu ---------*- C++ -*-===//
#ifndef MOEC_LIB_CONVERSION_MOETOGPU_PATTERNS_H
#define MOEC_LIB_CONVERSION_MOETOGPU_PATTERNS_H

#include "llvm/ADT/DenseMap.h"

namespace mlir {
class Operation;
class RewritePatternSet;
} // namespace mlir

namespace moec::lowering {

/// Routing's per-token steps that run in the thread of a moe.topk's token:
/// the softmax or sigmoid of router scores that only the topk reads, and
/// the appending of shared experts to results that only one
/// moe.append_shared_experts reads. Found before conversion, since each
/// pattern sees one op; a decode step then launches one kernel for the
/// three steps instead of three.
struct RoutingFusion {
  /// moe.topk -> the moe.router_scores whose normalization its kernel does.
  llvm::DenseMap<mlir::Operation *, mlir::Operation *> normalizes;
  /// moe.topk -> the moe.append_shared_experts its kernel does.
  llvm::DenseMap<mlir::Operation *, mlir::Operation *> appends;

  static RoutingFusion find(mlir::Operation *root);
  /// Whether router scores' normalization is left to the topk reading them.
  bool leavesNormalization(mlir::Operation *routerScores) const;
};

/// moe.router_scores, moe.topk, moe.append_shared_experts and moe.dispatch
/// as kernels, fused where `fusion` says.
void populateRoutingToGPUPatterns(mlir::RewritePatternSet &patterns,
                                  const RoutingFusion &fusion);

/// moe.expert_ffn and moe.swiglu as gate/up, down and combine kernels.
void populateExpertsToGPUPatterns(mlir::RewritePatternSet &patterns);

/// The decoder ops around the MLP block (moe.embedding, moe.rms_norm,
/// moe.linear with its epilogues, moe.head_matmul, moe.rope and
/// moe.attention) as kernels.
void populateDecoderToGPUPatterns(mlir::RewritePatternSet &patterns);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOGPU_PATTERNS_H
