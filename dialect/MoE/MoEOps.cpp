//===- MoEOps.cpp - moe operation verifiers -------------------------------===//
#include "MoE/MoEOps.h"
#include "MoE/VerifyUtils.h"

#include "moec/Support/Routing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::verify;

namespace {

/// Multiplies sizes, dynamic if either is.
int64_t mulDims(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b))
    return ShapedType::kDynamic;
  return a * b;
}

/// Checks stacked routed-expert weights gate/up [E, I, H] and down [E, H, I]
/// against the hidden size `h`.
LogicalResult verifyExpertStack(Operation *op, Value gate, Value up, Value down,
                                int64_t h) {
  if (failed(
          checkSame(op, "hidden size", "gate weights", dim(gate, 2), "x", h)) ||
      failed(checkSame(op, "hidden size", "up weights", dim(up, 2), "x", h)) ||
      failed(
          checkSame(op, "hidden size", "down weights", dim(down, 1), "x", h)))
    return failure();
  int64_t e = dim(gate, 0), i = dim(gate, 1);
  if (failed(checkSame(op, "experts", "up weights", dim(up, 0), "gate weights",
                       e)) ||
      failed(checkSame(op, "experts", "down weights", dim(down, 0),
                       "gate weights", e)) ||
      failed(checkSame(op, "expert width", "up weights", dim(up, 1),
                       "gate weights", i)) ||
      failed(checkSame(op, "expert width", "down weights", dim(down, 2),
                       "gate weights", i)))
    return failure();
  return success();
}

/// Checks one SwiGLU MLP's weights gate/up [W, H] and down [H, W].
LogicalResult verifyMLPWeights(Operation *op, StringRef prefix, Value gate,
                               Value up, Value down, int64_t h) {
  std::string g = (prefix + "gate weight").str();
  std::string u = (prefix + "up weight").str();
  std::string d = (prefix + "down weight").str();
  if (failed(checkSame(op, "hidden size", g, dim(gate, 1), "x", h)) ||
      failed(checkSame(op, "hidden size", u, dim(up, 1), "x", h)) ||
      failed(checkSame(op, "hidden size", d, dim(down, 0), "x", h)) ||
      failed(checkSame(op, "width", u, dim(up, 0), g, dim(gate, 0))) ||
      failed(checkSame(op, "width", d, dim(down, 1), g, dim(gate, 0))))
    return failure();
  return success();
}

/// Checks the optional shared-expert weights: all three or none, of a width
/// that is a whole number of experts of width `expertWidth`. Returns the
/// number of shared experts S.
FailureOr<int64_t> verifySharedExperts(Operation *op, Value gate, Value up,
                                       Value down, int64_t h,
                                       int64_t expertWidth) {
  if (!gate && !up && !down)
    return 0;
  if (!gate || !up || !down)
    return op->emitOpError()
           << "shared expert weights must be given all three (gate, up, "
              "down) or none";
  if (failed(verifyMLPWeights(op, "shared ", gate, up, down, h)))
    return failure();
  int64_t width = dim(gate, 0);
  if (failed(checkStatic(op, "the shared expert width", width)) ||
      failed(checkStatic(op, "the routed expert width", expertWidth)))
    return failure();
  if (expertWidth == 0 ? width != 0 : width % expertWidth != 0)
    return op->emitOpError()
           << "shared expert width " << width
           << " is not a whole number of experts of width " << expertWidth;
  return expertWidth == 0 ? 0 : width / expertWidth;
}

/// Checks the operands of a grouped expert computation: the routed stack,
/// the optional shared experts, and offsets with one entry per expert plus
/// one.
LogicalResult verifyGroupedExperts(Operation *op, Value offsets, Value gate,
                                   Value up, Value down, Value sharedGate,
                                   Value sharedUp, Value sharedDown,
                                   int64_t h) {
  if (failed(verifyExpertStack(op, gate, up, down, h)))
    return failure();
  FailureOr<int64_t> shared = verifySharedExperts(op, sharedGate, sharedUp,
                                                  sharedDown, h, dim(gate, 1));
  if (failed(shared))
    return failure();
  int64_t experts = dim(gate, 0);
  return checkSame(op, "size", "offsets", dim(offsets, 0),
                   "the expert list (routed + shared + 1)",
                   ShapedType::isDynamic(experts) ? experts
                                                  : experts + *shared + 1);
}

/// S for shared weights of width S * I next to routed experts of width I.
int64_t numSharedExperts(Value gateWeights, Value sharedGate) {
  if (!sharedGate)
    return 0;
  int64_t width = dim(gateWeights, 1);
  return width == 0 ? 0 : dim(sharedGate, 0) / width;
}

/// Checks a routing configuration against the rules of the reference.
LogicalResult verifyRouting(Operation *op, TopkMethod method, int64_t experts,
                            int64_t topK, int64_t nGroup, int64_t topkGroup,
                            bool norm, double scale, bool hasBias) {
  moec::RoutingConfig config;
  config.method = static_cast<moec::TopkMethod>(method);
  config.numExperts = experts;
  config.topK = topK;
  config.nGroup = nGroup;
  config.topkGroup = topkGroup;
  config.normTopkProb = norm;
  config.routedScalingFactor = scale;
  config.hasCorrectionBias = hasBias;
  if (std::optional<std::string> problem = moec::checkRoutingConfig(config))
    return op->emitOpError() << *problem;
  return success();
}

// The C++ rules use the enum values of the ODS enum.
static_assert(static_cast<int>(moec::TopkMethod::Greedy) ==
              static_cast<int>(TopkMethod::greedy));
static_assert(static_cast<int>(moec::TopkMethod::GroupLimitedGreedy) ==
              static_cast<int>(TopkMethod::group_limited_greedy));
static_assert(static_cast<int>(moec::TopkMethod::NoauxTC) ==
              static_cast<int>(TopkMethod::noaux_tc));

} // namespace

LogicalResult mlir::moe::OpTrait::verifyNoUnknownAttributes(Operation *op) {
  for (NamedAttribute attr : op->getDiscardableAttrs())
    if (!attr.getName().strref().contains('.'))
      return op->emitOpError()
             << "has unknown attribute '" << attr.getName().getValue() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// Routing
//===----------------------------------------------------------------------===//

LogicalResult RouterScoresOp::verify() {
  Operation *op = getOperation();
  if (failed(checkSame(op, "hidden size", "router weight", dim(getWeight(), 1),
                       "x", dim(getX(), 1))) ||
      failed(checkSame(op, "tokens", "scores", dim(getScores(), 0), "x",
                       dim(getX(), 0))) ||
      failed(checkSame(op, "experts", "scores", dim(getScores(), 1),
                       "router weight", dim(getWeight(), 0))))
    return failure();
  return success();
}

LogicalResult TopKOp::verify() {
  Operation *op = getOperation();
  int64_t experts = dim(getScores(), 1);
  int64_t k = dim(getIndices(), 1);
  if (failed(checkStatic(op, "the number of experts (scores dimension 1)",
                         experts)) ||
      failed(checkStatic(op,
                         "the number of selected experts (indices "
                         "dimension 1)",
                         k)))
    return failure();
  if (getWeights().getType().getShape() != getIndices().getType().getShape() &&
      (failed(checkSame(op, "tokens", "weights", dim(getWeights(), 0),
                        "indices", dim(getIndices(), 0))) ||
       failed(checkSame(op, "selected experts per token", "weights",
                        dim(getWeights(), 1), "indices", k))))
    return failure();
  if (failed(checkSame(op, "tokens", "indices", dim(getIndices(), 0), "scores",
                       dim(getScores(), 0))))
    return failure();
  if (getBias() && failed(checkSame(op, "experts", "bias", dim(getBias(), 0),
                                    "scores", experts)))
    return failure();
  return verifyRouting(op, getMethod(), experts, k, getNGroup(), getTopkGroup(),
                       getNormTopkProb(),
                       getRoutedScalingFactor().convertToDouble(),
                       static_cast<bool>(getBias()));
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

LogicalResult DispatchOp::verify() {
  Operation *op = getOperation();
  int64_t offsets = dim(getOffsets(), 0);
  if (failed(checkStatic(op, "the size of offsets (experts + 1)", offsets)))
    return failure();
  if (offsets < 2)
    return emitOpError() << "offsets must have one entry per expert plus one, "
                            "got size "
                         << offsets;
  int64_t pairs = mulDims(dim(getIndices(), 0), dim(getIndices(), 1));
  return checkSame(op, "size", "permutation", dim(getPermutation(), 0),
                   "indices (tokens * top_k)", pairs);
}

LogicalResult PermuteOp::verify() {
  Operation *op = getOperation();
  int64_t pairs = mulDims(dim(getX(), 0), getTopK());
  if (failed(checkSame(op, "size", "permutation", dim(getPermutation(), 0),
                       "x (tokens * top_k)", pairs)) ||
      failed(checkSame(op, "rows", "result", dim(getResult(), 0), "permutation",
                       dim(getPermutation(), 0))) ||
      failed(checkSame(op, "hidden size", "result", dim(getResult(), 1), "x",
                       dim(getX(), 1))))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Expert computation
//===----------------------------------------------------------------------===//

LogicalResult SwiGLUOp::verify() {
  Operation *op = getOperation();
  int64_t h = dim(getX(), 1);
  if (failed(verifyMLPWeights(op, "", getGateWeight(), getUpWeight(),
                              getDownWeight(), h)) ||
      failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "x",
                       dim(getX(), 0))) ||
      failed(
          checkSame(op, "hidden size", "result", dim(getResult(), 1), "x", h)))
    return failure();
  return success();
}

int64_t GroupedSwiGLUOp::getNumSharedExperts() {
  return numSharedExperts(getGateWeights(), getSharedGateWeight());
}

LogicalResult GroupedSwiGLUOp::verify() {
  Operation *op = getOperation();
  int64_t h = dim(getInput(), 1);
  if (failed(verifyGroupedExperts(op, getOffsets(), getGateWeights(),
                                  getUpWeights(), getDownWeights(),
                                  getSharedGateWeight(), getSharedUpWeight(),
                                  getSharedDownWeight(), h)) ||
      failed(checkSame(op, "rows", "result", dim(getResult(), 0), "input",
                       dim(getInput(), 0))) ||
      failed(checkSame(op, "hidden size", "result", dim(getResult(), 1),
                       "input", h)))
    return failure();
  return success();
}

LogicalResult AppendSharedExpertsOp::verify() {
  Operation *op = getOperation();
  int64_t k = dim(getIndices(), 1), newK = dim(getResultIndices(), 1);
  if (failed(checkStatic(op, "the number of routed slots (indices dimension 1)",
                         k)) ||
      failed(checkStatic(op, "the number of result slots", newK)))
    return failure();
  if (newK < k)
    return emitOpError() << "results have " << newK
                         << " slots per token, fewer than the " << k
                         << " routed slots";
  if (failed(checkSame(op, "slots per token", "weights", dim(getWeights(), 1),
                       "indices", k)) ||
      failed(checkSame(op, "slots per token", "result weights",
                       dim(getResultWeights(), 1), "result indices", newK)))
    return failure();
  int64_t t = dim(getIndices(), 0);
  for (auto [name, v] : {std::pair<StringRef, Value>{"weights", getWeights()},
                         {"result weights", getResultWeights()},
                         {"result indices", getResultIndices()}})
    if (failed(checkSame(op, "tokens", name, dim(v, 0), "indices", t)))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Combine
//===----------------------------------------------------------------------===//

LogicalResult CombineOp::verify() {
  Operation *op = getOperation();
  int64_t k = dim(getWeights(), 1);
  if (failed(checkStatic(op, "the number of slots (weights dimension 1)", k)))
    return failure();
  int64_t pairs = mulDims(dim(getWeights(), 0), k);
  if (failed(checkSame(op, "size", "permutation", dim(getPermutation(), 0),
                       "weights (tokens * slots)", pairs)) ||
      failed(checkSame(op, "rows", "expert outputs", dim(getExpertOutputs(), 0),
                       "permutation", dim(getPermutation(), 0))) ||
      failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "weights",
                       dim(getWeights(), 0))) ||
      failed(checkSame(op, "hidden size", "result", dim(getResult(), 1),
                       "expert outputs", dim(getExpertOutputs(), 1))))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Fused experts
//===----------------------------------------------------------------------===//

int64_t ExpertFFNOp::getNumSharedExperts() {
  return numSharedExperts(getGateWeights(), getSharedGateWeight());
}

LogicalResult ExpertFFNOp::verify() {
  Operation *op = getOperation();
  int64_t h = dim(getX(), 1);
  int64_t k = dim(getWeights(), 1);
  if (failed(checkStatic(op, "the number of slots (weights dimension 1)", k)) ||
      failed(verifyGroupedExperts(op, getOffsets(), getGateWeights(),
                                  getUpWeights(), getDownWeights(),
                                  getSharedGateWeight(), getSharedUpWeight(),
                                  getSharedDownWeight(), h)) ||
      failed(checkSame(op, "tokens", "weights", dim(getWeights(), 0), "x",
                       dim(getX(), 0))) ||
      failed(checkSame(op, "size", "permutation", dim(getPermutation(), 0),
                       "weights (tokens * slots)",
                       mulDims(dim(getWeights(), 0), k))) ||
      failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "x",
                       dim(getX(), 0))) ||
      failed(
          checkSame(op, "hidden size", "result", dim(getResult(), 1), "x", h)))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Block
//===----------------------------------------------------------------------===//

LogicalResult BlockOp::verify() {
  Operation *op = getOperation();
  int64_t h = dim(getX(), 1);
  if (failed(checkSame(op, "hidden size", "router weight",
                       dim(getRouterWeight(), 1), "x", h)) ||
      failed(verifyExpertStack(op, getGateWeights(), getUpWeights(),
                               getDownWeights(), h)) ||
      failed(checkSame(op, "experts", "gate weights", dim(getGateWeights(), 0),
                       "router weight", dim(getRouterWeight(), 0))) ||
      failed(checkSame(op, "tokens", "result", dim(getResult(), 0), "x",
                       dim(getX(), 0))) ||
      failed(
          checkSame(op, "hidden size", "result", dim(getResult(), 1), "x", h)))
    return failure();
  if (failed(verifySharedExperts(op, getSharedGateWeight(), getSharedUpWeight(),
                                 getSharedDownWeight(), h,
                                 dim(getGateWeights(), 1))))
    return failure();
  int64_t experts = dim(getRouterWeight(), 0);
  if (failed(checkStatic(op,
                         "the number of experts (router weight dimension "
                         "0)",
                         experts)))
    return failure();
  if (getBias() && failed(checkSame(op, "experts", "bias", dim(getBias(), 0),
                                    "router weight", experts)))
    return failure();
  return verifyRouting(op, getMethod(), experts, getTopK(), getNGroup(),
                       getTopkGroup(), getNormTopkProb(),
                       getRoutedScalingFactor().convertToDouble(),
                       static_cast<bool>(getBias()));
}

//===----------------------------------------------------------------------===//
// Weight layout
//===----------------------------------------------------------------------===//

std::pair<int64_t, int64_t> UnpackWeightsOp::getMatrixShape() {
  auto type = cast<RankedTensorType>(getResult().getType());
  const int64_t g = getNumMatrices();
  if (type.getRank() == 3)
    return {type.getDimSize(1), type.getDimSize(2)};
  int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  if (getConcatDim() == 0)
    n = g == 0 ? 0 : n / g;
  else
    k = g == 0 ? 0 : k / g;
  return {n, k};
}

LogicalResult UnpackWeightsOp::verify() {
  Operation *op = getOperation();
  auto packed = getPacked().getType();
  auto result = cast<RankedTensorType>(getResult().getType());
  if (!packed.hasStaticShape() || !result.hasStaticShape())
    return emitOpError() << "needs static shapes";
  if (packed.getElementType() != result.getElementType())
    return emitOpError() << "result element type " << result.getElementType()
                         << " differs from the packed weights' "
                         << packed.getElementType();
  const int64_t g = getNumMatrices(), p = getPanel(), q = getKPack();
  if (p < 1 || q < 1)
    return emitOpError() << "panels must hold at least one output and one "
                            "input (dimensions 3 and 4), not "
                         << p << " x " << q;
  if (result.getRank() == 3) {
    if (getConcatDim())
      return emitOpError() << "concat_dim applies to a rank-2 result only";
    if (failed(checkSame(op, "matrices", "result", result.getDimSize(0),
                         "packed weights", g)))
      return failure();
  } else {
    std::optional<uint64_t> concat = getConcatDim();
    if (!concat || *concat > 1)
      return emitOpError() << "a rank-2 result needs concat_dim 0 (matrices "
                              "one below the other) or 1 (side by side)";
    int64_t joined = result.getDimSize(*concat);
    if (g == 0 ? joined != 0 : joined % g != 0)
      return emitOpError() << "result dimension " << *concat << " (" << joined
                           << ") is not " << g << " matrices";
  }
  auto [n, k] = getMatrixShape();
  auto ceilDiv = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  if (failed(checkSame(op, "panels", "packed weights", packed.getDimSize(1),
                       "the matrices' outputs / panel", ceilDiv(n, p))) ||
      failed(checkSame(op, "input groups", "packed weights",
                       packed.getDimSize(2), "the matrices' inputs / k_pack",
                       ceilDiv(k, q))))
    return failure();
  return success();
}

#define GET_OP_CLASSES
#include "MoE/MoEOps.cpp.inc"
