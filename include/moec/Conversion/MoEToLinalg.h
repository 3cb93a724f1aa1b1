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

/// The compute ops (router scores, permute, SwiGLU experts, combine,
/// appended shared slots) as linalg on tensors.
void populateExpertsToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace moec

#endif // MOEC_CONVERSION_MOETOLINALG_H
