//===- MoEToVector.h - fused expert kernels for the CPU --------*- C++ -*-===//
#ifndef MOEC_CONVERSION_MOETOVECTOR_H
#define MOEC_CONVERSION_MOETOVECTOR_H

#include "mlir/Pass/Pass.h"

#include <cstdint>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace moec {

#define GEN_PASS_DECL_CONVERTMOETOVECTOR
#include "moec/Conversion/Passes.h.inc"

/// The register and cache tiling of the fused expert kernel. A field of 0
/// asks for the default of the target (see forVectorWidth).
struct ExpertKernelTiling {
  /// f32 lanes per vector register (16 with AVX-512, 8 with AVX2).
  int64_t vectorWidth = 16;
  /// Sorted rows per register tile.
  int64_t rows = 4;
  /// Weight rows per register tile in the gate/up and down kernels.
  int64_t gateUpCols = 2;
  int64_t downCols = 4;
  /// Weight rows per parallel work item (cache block).
  int64_t gateUpBlock = 64;
  int64_t downBlock = 64;

  /// Register tiles that fit the vector register file of an x86 target with
  /// `vectorWidth` f32 lanes: AVX-512 (16 lanes, 32 registers) keeps 4 rows
  /// x 2 columns x {gate, up} or 4 x 4 accumulators; AVX2 (8 lanes, 16
  /// registers) 4 x 1 x 2 or 4 x 2, so that the accumulators, the activation
  /// rows, a weight vector and its widened copy stay in registers (at 3 x 2
  /// x 2 LLVM spills in the gate/up loop).
  static ExpertKernelTiling forVectorWidth(int64_t vectorWidth);
  /// This tiling with its 0 fields replaced by forVectorWidth's.
  ExpertKernelTiling resolved(int64_t hostVectorWidth) const;
};

/// Lowers the moe ops with static inner sizes to parallel (scf.forall),
/// vectorised loop nests on buffers: moe.expert_ffn, moe.swiglu (as an
/// expert_ffn), moe.router_scores, and the decoder ops (moe.linear,
/// moe.rms_norm, moe.rope, moe.attention, moe.embedding).
void populateMoEToVectorPatterns(mlir::RewritePatternSet &patterns,
                                 const ExpertKernelTiling &tiling);

} // namespace moec

#endif // MOEC_CONVERSION_MOETOVECTOR_H
