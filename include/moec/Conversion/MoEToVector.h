//===- MoEToVector.h - fused expert kernels for the CPU --------*- C++ -*-===//
#ifndef MOEC_CONVERSION_MOETOVECTOR_H
#define MOEC_CONVERSION_MOETOVECTOR_H

#include "moec/Target/KernelTiling.h"

#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace moec {

#define GEN_PASS_DECL_CONVERTMOETOVECTOR
#include "moec/Conversion/Passes.h.inc"

/// convert-moe-to-vector with the kernels tiled as `tiling` (every field
/// positive; CPUTarget::tiling resolves a request).
std::unique_ptr<mlir::Pass>
createConvertMoEToVector(const ExpertKernelTiling &tiling);

/// Lowers the moe ops with static inner sizes to parallel (scf.forall),
/// vectorised loop nests on buffers: moe.expert_ffn, moe.swiglu (as an
/// expert_ffn), moe.router_scores, and the decoder ops (moe.linear,
/// moe.rms_norm, moe.rope, moe.attention, moe.embedding).
void populateMoEToVectorPatterns(mlir::RewritePatternSet &patterns,
                                 const ExpertKernelTiling &tiling);

} // namespace moec

#endif // MOEC_CONVERSION_MOETOVECTOR_H
