//===- MoEDecoderOps.cpp - verifiers of the decoder-layer ops -------------===//
#include "MoE/MoEOps.h"
#include "MoE/VerifyUtils.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::verify;

LogicalResult RoPEAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               int64_t headDim, FloatAttr theta,
                               FloatAttr scalingFactor,
                               DenseF64ArrayAttr frequencies,
                               FloatAttr attentionFactor, RoPEPairs) {
  if (headDim < 2 || headDim % 2 != 0)
    return emitError() << "rope head_dim must be even and positive, got "
                       << headDim;
  if (frequencies) {
    if (theta || scalingFactor)
      return emitError() << "rope takes either frequencies or theta and "
                            "scaling_factor, not both";
    if (static_cast<int64_t>(frequencies.size()) != headDim / 2)
      return emitError() << "rope needs head_dim / 2 = " << headDim / 2
                         << " frequencies, got " << frequencies.size();
    for (double f : frequencies.asArrayRef())
      if (!std::isfinite(f) || f < 0)
        return emitError() << "rope frequencies must be finite and "
                              "non-negative, got "
                           << f;
  } else {
    if (!theta || !scalingFactor)
      return emitError() << "rope needs theta and scaling_factor, or "
                            "frequencies";
    if (!(theta.getValueAsDouble() > 0))
      return emitError() << "rope theta must be positive, got "
                         << theta.getValueAsDouble();
    if (!(scalingFactor.getValueAsDouble() > 0))
      return emitError() << "rope scaling_factor must be positive, got "
                         << scalingFactor.getValueAsDouble();
  }
  if (attentionFactor && !(attentionFactor.getValueAsDouble() > 0 &&
                           std::isfinite(attentionFactor.getValueAsDouble())))
    return emitError() << "rope attention_factor must be positive, got "
                       << attentionFactor.getValueAsDouble();
  return success();
}

Attribute RoPEAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  int64_t headDim = 0;
  FloatAttr theta, scalingFactor, attentionFactor;
  DenseF64ArrayAttr frequencies;
  RoPEPairs pairs = RoPEPairs::rotate_half;
  if (parser.parseLess() || parser.parseKeyword("head_dim") ||
      parser.parseEqual() || parser.parseInteger(headDim))
    return {};
  llvm::StringSet<> seen;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc at = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return {};
    auto fail = [&](const Twine &message) -> Attribute {
      parser.emitError(at, message);
      return {};
    };
    if (!seen.insert(key).second)
      return fail("rope parameter '" + key + "' given twice");
    if (key == "theta" || key == "scaling_factor" ||
        key == "attention_factor") {
      Attribute value;
      if (parser.parseAttribute(value))
        return {};
      FloatAttr &out = key == "theta"            ? theta
                       : key == "scaling_factor" ? scalingFactor
                                                 : attentionFactor;
      out = dyn_cast<FloatAttr>(value);
      if (!out)
        return fail("rope " + key + " must be a number");
    } else if (key == "frequencies") {
      Attribute value;
      if (parser.parseAttribute(value))
        return {};
      frequencies = dyn_cast<DenseF64ArrayAttr>(value);
      if (!frequencies)
        return fail("rope frequencies must be an array<f64: ...>");
    } else if (key == "pairs") {
      StringRef name;
      if (parser.parseKeyword(&name))
        return {};
      std::optional<RoPEPairs> parsed = symbolizeRoPEPairs(name);
      if (!parsed)
        return fail("rope pairs must be rotate_half or interleaved, got '" +
                    name + "'");
      pairs = *parsed;
    } else {
      return fail("unknown rope parameter '" + key + "'");
    }
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); }, ctx,
                    headDim, theta, scalingFactor, frequencies, attentionFactor,
                    pairs);
}

void RoPEAttr::print(AsmPrinter &printer) const {
  printer << "<head_dim = " << getHeadDim();
  if (getTheta())
    printer << ", theta = " << getTheta();
  if (getScalingFactor())
    printer << ", scaling_factor = " << getScalingFactor();
  if (getFrequencies())
    printer << ", frequencies = " << getFrequencies();
  if (getAttentionFactor())
    printer << ", attention_factor = " << getAttentionFactor();
  if (isInterleaved())
    printer << ", pairs = " << stringifyRoPEPairs(getPairs());
  printer << ">";
}

SmallVector<double> RoPEAttr::getInverseFrequencies() const {
  if (DenseF64ArrayAttr given = getFrequencies())
    return SmallVector<double>(given.asArrayRef());
  const double theta = getTheta().getValueAsDouble();
  const double scale = getScalingFactor().getValueAsDouble();
  const int64_t dim = getHeadDim();
  SmallVector<double> freqs;
  for (int64_t j = 0; j < dim / 2; ++j)
    freqs.push_back(std::pow(theta, -2.0 * static_cast<double>(j) /
                                        static_cast<double>(dim)) /
                    scale);
  return freqs;
}

double RoPEAttr::getCosSinFactor() const {
  FloatAttr factor = getAttentionFactor();
  return factor ? factor.getValueAsDouble() : 1.0;
}

std::pair<int64_t, int64_t> RoPEAttr::getPairOffsets(int64_t j) const {
  if (isInterleaved())
    return {2 * j, 2 * j + 1};
  return {j, j + getHeadDim() / 2};
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
  if (getRopeAttr() && getRopeAttr().isInterleaved())
    return emitOpError() << "a rope epilogue turns rotate_half pairs; an "
                            "interleaved RoPE is a moe.rope of its own";
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
  return 1.0 / std::sqrt(static_cast<double>(getKeyDim()));
}

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  const int64_t heads = getNumHeads();
  const int64_t qWidth = dim(getQ(), 1), outWidth = dim(getResult(), 1);
  const int64_t kvHeads = getNumKvHeads(), keyDim = getKeyDim(),
                valueDim = getValueDim();
  if (failed(checkStatic(op, "the query width", qWidth)) ||
      failed(checkStatic(op, "the number of key/value heads (keys dimension 0)",
                         kvHeads)) ||
      failed(checkStatic(op, "the key head size (keys dimension 2)", keyDim)) ||
      failed(checkStatic(op, "the value head size (values dimension 2)",
                         valueDim)) ||
      failed(checkStatic(op, "the result width", outWidth)))
    return failure();
  auto keys = getKeys().getType(), values = getValues().getType();
  if (keys.getElementType() != values.getElementType())
    return emitOpError() << "values element type " << values.getElementType()
                         << " differs from keys element type "
                         << keys.getElementType();
  if (failed(checkSame(op, "key/value heads", "keys", kvHeads, "values",
                       values.getDimSize(0))) ||
      failed(checkSame(op, "cache positions", "keys", keys.getDimSize(1),
                       "values", values.getDimSize(1))) ||
      failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "q",
                       dim(getQ(), 0))))
    return failure();
  if (qWidth != heads * keyDim)
    return emitOpError() << "query width " << qWidth << " is not " << heads
                         << " heads of the keys' head size " << keyDim;
  if (outWidth != heads * valueDim)
    return emitOpError() << "result width " << outWidth << " is not " << heads
                         << " heads of the values' head size " << valueDim;
  if (heads % kvHeads != 0)
    return emitOpError() << "num_heads = " << heads
                         << " is not a multiple of the " << kvHeads
                         << " key/value heads";
  if (std::optional<APFloat> scale = getScale();
      scale && !(scale->convertToDouble() > 0))
    return emitOpError() << "scale must be positive, got "
                         << scale->convertToDouble();
  return success();
}

LogicalResult HeadMatmulOp::verify() {
  Operation *op = getOperation();
  const int64_t heads = getNumHeads(), in = getInputDim(), out = getOutputDim();
  const int64_t xWidth = dim(getX(), 1), width = dim(getResult(), 1);
  if (failed(checkStatic(op, "the number of heads (weights dimension 0)",
                         heads)) ||
      failed(checkStatic(op, "the weights' inner sizes", in)) ||
      failed(checkStatic(op, "the weights' inner sizes", out)) ||
      failed(checkStatic(op, "the input width", xWidth)) ||
      failed(checkStatic(op, "the result width", width)) ||
      failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "x",
                       dim(getX(), 0))))
    return failure();
  if (xWidth != heads * in)
    return emitOpError() << "input width " << xWidth << " is not " << heads
                         << " heads of " << in << " inputs";
  if (width != heads * out)
    return emitOpError() << "result width " << width << " is not " << heads
                         << " heads of " << out << " outputs";
  return success();
}

LogicalResult LatentAttentionOp::verify() {
  Operation *op = getOperation();
  const int64_t heads = getNumHeads();
  const int64_t nopeWidth = dim(getQNope(), 1), ropeWidth = dim(getQRope(), 1);
  const int64_t kvbRows = dim(getKvB(), 0), latentDim = dim(getKvB(), 1);
  const int64_t cacheWidth = dim(getLatent(), 1), width = dim(getResult(), 1);
  if (failed(checkStatic(op, "the q_nope width", nopeWidth)) ||
      failed(checkStatic(op, "the q_rope width", ropeWidth)) ||
      failed(checkStatic(op, "the kv_b shape", kvbRows)) ||
      failed(checkStatic(op, "the kv_b shape", latentDim)) ||
      failed(checkStatic(op, "the latent cache width", cacheWidth)) ||
      failed(checkStatic(op, "the result width", width)) ||
      failed(checkSame(op, "tokens", "q_nope", dim(getQNope(), 0), "q_rope",
                       dim(getQRope(), 0))) ||
      failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "q_nope",
                       dim(getQNope(), 0))))
    return failure();
  if (nopeWidth % heads != 0 || ropeWidth % heads != 0 || kvbRows % heads != 0)
    return emitOpError() << "q_nope width " << nopeWidth << ", q_rope width "
                         << ropeWidth << " and kv_b rows " << kvbRows
                         << " must each split into " << heads << " heads";
  const int64_t nope = getNopeDim(), rope = getRopeDim();
  if (kvbRows / heads <= nope)
    return emitOpError() << "kv_b has " << kvbRows / heads
                         << " rows per head, which leaves no value rows after "
                            "the "
                         << nope << " key rows";
  if (cacheWidth != latentDim + rope)
    return emitOpError() << "latent cache width " << cacheWidth
                         << " is not the latent size " << latentDim
                         << " (kv_b columns) plus the rotary key size " << rope;
  if (width != heads * getValueDim())
    return emitOpError() << "result width " << width << " is not " << heads
                         << " heads of " << getValueDim() << " values";
  if (!(getScale().convertToDouble() > 0))
    return emitOpError() << "scale must be positive, got "
                         << getScale().convertToDouble();
  return success();
}
