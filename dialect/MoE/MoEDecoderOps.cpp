//===- MoEDecoderOps.cpp - verifiers of the decoder-layer ops -------------===//
#include "MoE/MoEOps.h"
#include "MoE/VerifyUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::verify;

LogicalResult RoPEAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               int64_t headDim, FloatAttr theta,
                               FloatAttr scalingFactor) {
  if (headDim < 2 || headDim % 2 != 0)
    return emitError() << "rope head_dim must be even and positive, got "
                       << headDim;
  if (!(theta.getValueAsDouble() > 0))
    return emitError() << "rope theta must be positive, got "
                       << theta.getValueAsDouble();
  if (!(scalingFactor.getValueAsDouble() > 0))
    return emitError() << "rope scaling_factor must be positive, got "
                       << scalingFactor.getValueAsDouble();
  return success();
}

namespace {

/// Checks that rows of `width` values split into whole heads of the RoPE's
/// head_dim.
LogicalResult checkRoPEHeads(Operation *op, StringRef what, int64_t width,
                             RoPEAttr rope) {
  if (failed(checkStatic(op, (what + " width").str(), width)))
    return failure();
  if (width % rope.getHeadDim() != 0)
    return op->emitOpError() << what << " width " << width
                             << " is not a whole number of heads of head_dim "
                             << rope.getHeadDim();
  return success();
}

} // namespace

LogicalResult EmbeddingOp::verify() {
  Operation *op = getOperation();
  if (failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "ids",
                       dim(getIds(), 0))) ||
      failed(checkSame(op, "hidden size", "result", dim(getResult(), 1),
                       "table", dim(getTable(), 1))))
    return failure();
  return success();
}

LogicalResult RMSNormOp::verify() {
  Operation *op = getOperation();
  if (!(getEpsilon().convertToDouble() >= 0))
    return emitOpError() << "epsilon must be non-negative, got "
                         << getEpsilon().convertToDouble();
  if (getResult().getType() != getX().getType())
    return emitOpError() << "result type " << getResult().getType()
                         << " differs from x type " << getX().getType();
  return checkSame(op, "hidden size", "weight", dim(getWeight(), 0), "x",
                   dim(getX(), 1));
}

LogicalResult LinearOp::verify() {
  Operation *op = getOperation();
  if (failed(checkSame(op, "input size", "weight", dim(getWeight(), 1), "x",
                       dim(getX(), 1))) ||
      failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "x",
                       dim(getX(), 0))) ||
      failed(checkSame(op, "output size", "result", dim(getResult(), 1),
                       "weight", dim(getWeight(), 0))))
    return failure();
  if (getResidual() && getResidual().getType() != getResult().getType())
    return emitOpError() << "residual type " << getResidual().getType()
                         << " differs from result type "
                         << getResult().getType();
  if (static_cast<bool>(getRopeStart()) != static_cast<bool>(getRopeAttr()))
    return emitOpError() << "a rope epilogue needs both a start position and "
                            "a #moe.rope attribute";
  if (getRopeAttr())
    return checkRoPEHeads(op, "result", dim(getResult(), 1), getRopeAttr());
  return success();
}

LogicalResult RoPEOp::verify() {
  if (getResult().getType() != getX().getType())
    return emitOpError() << "result type " << getResult().getType()
                         << " differs from x type " << getX().getType();
  return checkRoPEHeads(getOperation(), "x", dim(getX(), 1), getRope());
}

double AttentionOp::getScaleOrDefault() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  return 1.0 / std::sqrt(static_cast<double>(getHeadDim()));
}

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  const int64_t heads = getNumHeads();
  const int64_t qWidth = dim(getQ(), 1);
  const int64_t kvHeads = getNumKvHeads(), headDim = getHeadDim();
  if (failed(checkStatic(op, "the query width", qWidth)) ||
      failed(checkStatic(op, "the number of key/value heads (keys dimension 0)",
                         kvHeads)) ||
      failed(checkStatic(op, "the head size (keys dimension 2)", headDim)))
    return failure();
  if (getValues().getType() != getKeys().getType())
    return emitOpError() << "values type " << getValues().getType()
                         << " differs from keys type " << getKeys().getType();
  if (qWidth != heads * headDim)
    return emitOpError() << "query width " << qWidth << " is not " << heads
                         << " heads of the cache's head size " << headDim;
  if (heads % kvHeads != 0)
    return emitOpError() << "num_heads = " << heads
                         << " is not a multiple of the " << kvHeads
                         << " key/value heads";
  if (getResult().getType() != getQ().getType())
    return emitOpError() << "result type " << getResult().getType()
                         << " differs from q type " << getQ().getType();
  if (std::optional<APFloat> scale = getScale();
      scale && !(scale->convertToDouble() > 0))
    return emitOpError() << "scale must be positive, got "
                         << scale->convertToDouble();
  return success();
}
