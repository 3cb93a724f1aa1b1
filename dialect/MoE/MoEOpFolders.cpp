//===- MoEOpFolders.cpp - moe folders and canonicalisations ---------------===//
//
// Folds that remove routing work whose result is known at compile time: all
// experts selected (k = E), routing attributes that cannot change a result,
// constant expert indices, and empty shared experts.
//
//===----------------------------------------------------------------------===//
#include "MoE/MoEOps.h"

#include "moec/Support/Routing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Builds an i32 tensor of `type` (static rank, possibly dynamic sizes) whose
/// element at the given indices is `body(builder, loc, indices)`.
Value generateIndexTensor(
    OpBuilder &b, Location loc, RankedTensorType type, ValueRange dynSizes,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return tensor::GenerateOp::create(
      b, loc, type, dynSizes,
      [&](OpBuilder &nested, Location l, ValueRange indices) {
        Value v = body(nested, l, indices);
        Value i32 =
            arith::IndexCastOp::create(nested, l, nested.getI32Type(), v);
        tensor::YieldOp::create(nested, l, i32);
      });
}

/// True if `v` is the [T, E] tensor whose every row is 0, 1, ..., E-1: the
/// indices of a top-k that selects all E experts.
bool isAllExpertsIota(Value v) {
  DenseIntElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense))) {
    int64_t e = cast<ShapedType>(v.getType()).getDimSize(1);
    int64_t pos = 0;
    for (const APInt &x : dense.getValues<APInt>())
      if (x.getSExtValue() != pos++ % e)
        return false;
    return true;
  }
  auto gen = v.getDefiningOp<tensor::GenerateOp>();
  if (!gen)
    return false;
  Block &body = gen.getBody().front();
  auto yield = cast<tensor::YieldOp>(body.getTerminator());
  auto cast = yield.getValue().getDefiningOp<arith::IndexCastOp>();
  return cast && cast->getBlock() == &body &&
         cast.getIn() == body.getArgument(1);
}

/// Drops routing attributes that cannot change a result, so that equal
/// routings print equal: grouping that keeps every group, group-limited
/// greedy over one group (plain greedy), renormalisation of a single weight,
/// and a scaling factor that renormalisation overrides.
struct NormalizeRoutingAttrs : OpRewritePattern<TopKOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TopKOp op,
                                PatternRewriter &rewriter) const override {
    TopkMethod method = op.getMethod();
    int64_t nGroup = op.getNGroup(), topkGroup = op.getTopkGroup();
    bool norm = op.getNormTopkProb();
    double scale = op.getRoutedScalingFactor().convertToDouble();
    if (method != TopkMethod::greedy && topkGroup == nGroup)
      nGroup = topkGroup = 1;
    if (method == TopkMethod::group_limited_greedy && nGroup == 1)
      method = TopkMethod::greedy;
    if (norm && op.getTopK() == 1)
      norm = false;
    if (norm && method != TopkMethod::noaux_tc)
      scale = 1.0;
    if (method == op.getMethod() && nGroup == op.getNGroupAttr().getInt() &&
        topkGroup == op.getTopkGroupAttr().getInt() &&
        norm == op.getNormTopkProb() &&
        scale == op.getRoutedScalingFactor().convertToDouble())
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setMethod(method);
      op.setNGroup(nGroup);
      op.setTopkGroup(topkGroup);
      op.setNormTopkProb(norm);
      op.setRoutedScalingFactor(APFloat(scale));
    });
    return success();
  }
};

/// With k = E every expert is selected whatever the method, and slots list
/// experts in ascending order: the indices are 0..E-1 on every row.
struct AllExpertsSelected : OpRewritePattern<TopKOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TopKOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getIndices().getType();
    if (op.getIndices().use_empty() ||
        type.getDimSize(1) != op.getScores().getType().getDimSize(1))
      return failure();
    Location loc = op.getLoc();
    Value iota;
    if (type.hasStaticShape()) {
      SmallVector<int32_t> values(type.getNumElements());
      for (size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<int32_t>(i % type.getDimSize(1));
      iota = arith::ConstantOp::create(rewriter, loc,
                                       DenseIntElementsAttr::get(type, values));
    } else {
      Value tokens = tensor::DimOp::create(rewriter, loc, op.getScores(), 0);
      iota = generateIndexTensor(
          rewriter, loc, type, tokens,
          [](OpBuilder &, Location, ValueRange ij) { return ij[1]; });
    }
    rewriter.replaceAllUsesWith(op.getIndices(), iota);
    return success();
  }
};

/// Dispatch of a routing that sends every token to every expert needs no
/// sort: expert e owns rows [e*T, (e+1)*T), and sorted row r is token r mod T
/// in slot r div T.
struct DispatchAllExperts : OpRewritePattern<DispatchOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DispatchOp op,
                                PatternRewriter &rewriter) const override {
    Value indices = op.getIndices();
    int64_t experts = op.getNumExperts();
    if (cast<ShapedType>(indices.getType()).getDimSize(1) != experts ||
        !isAllExpertsIota(indices))
      return failure();
    Location loc = op.getLoc();
    Value tokens = tensor::DimOp::create(rewriter, loc, indices, 0);
    Value e = arith::ConstantIndexOp::create(rewriter, loc, experts);
    Value offsets = generateIndexTensor(
        rewriter, loc, op.getOffsets().getType(), {},
        [&](OpBuilder &b, Location l, ValueRange i) -> Value {
          return arith::MulIOp::create(b, l, i[0], tokens);
        });
    RankedTensorType permType = op.getPermutation().getType();
    SmallVector<Value> dynSizes;
    if (permType.isDynamicDim(0))
      dynSizes.push_back(arith::MulIOp::create(rewriter, loc, tokens, e));
    Value perm = generateIndexTensor(
        rewriter, loc, permType, dynSizes,
        [&](OpBuilder &b, Location l, ValueRange r) -> Value {
          Value token = arith::RemUIOp::create(b, l, r[0], tokens);
          Value slot = arith::DivUIOp::create(b, l, r[0], tokens);
          Value base = arith::MulIOp::create(b, l, token, e);
          return arith::AddIOp::create(b, l, base, slot);
        });
    rewriter.replaceOp(op, {offsets, perm});
    return success();
  }
};

/// Shared experts of width 0 contribute nothing.
struct DropEmptySharedExperts : OpRewritePattern<GroupedSwiGLUOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GroupedSwiGLUOp op,
                                PatternRewriter &rewriter) const override {
    Value shared = op.getSharedGateWeight();
    if (!shared || cast<ShapedType>(shared.getType()).getDimSize(0) != 0)
      return failure();
    rewriter.replaceOpWithNewOp<GroupedSwiGLUOp>(
        op, op.getType(), op.getInput(), op.getOffsets(), op.getGateWeights(),
        op.getUpWeights(), op.getDownWeights(), Value(), Value(), Value());
    return success();
  }
};

} // namespace

void TopKOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<NormalizeRoutingAttrs, AllExpertsSelected>(context);
}

void DispatchOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<DispatchAllExperts>(context);
}

void GroupedSwiGLUOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                  MLIRContext *context) {
  results.add<DropEmptySharedExperts>(context);
}

LogicalResult DispatchOp::fold(FoldAdaptor adaptor,
                               SmallVectorImpl<OpFoldResult> &results) {
  auto indices =
      dyn_cast_if_present<DenseIntElementsAttr>(adaptor.getIndices());
  if (!indices || !getPermutation().getType().hasStaticShape())
    return failure();
  std::vector<int32_t> flat;
  flat.reserve(indices.getNumElements());
  for (const APInt &v : indices.getValues<APInt>())
    flat.push_back(static_cast<int32_t>(v.getSExtValue()));
  std::optional<moec::Dispatch> d =
      moec::dispatchByExpert(flat, getNumExperts());
  if (!d)
    return failure();
  results.push_back(
      DenseIntElementsAttr::get(getOffsets().getType(), ArrayRef(d->offsets)));
  results.push_back(DenseIntElementsAttr::get(getPermutation().getType(),
                                              ArrayRef(d->permutation)));
  return success();
}

LogicalResult
AppendSharedExpertsOp::fold(FoldAdaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  if (getWeights().getType() != getResultWeights().getType() ||
      getIndices().getType() != getResultIndices().getType())
    return failure();
  results.push_back(getWeights());
  results.push_back(getIndices());
  return success();
}

OpFoldResult SwiGLUOp::fold(FoldAdaptor) {
  RankedTensorType type = getType();
  if (getGateWeight().getType().getDimSize(0) != 0 || !type.hasStaticShape())
    return {};
  return DenseElementsAttr::get(type, 0.0f);
}

Operation *MoEDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}
