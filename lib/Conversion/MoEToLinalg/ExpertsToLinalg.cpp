//===- ExpertsToLinalg.cpp - moe compute ops to linalg --------------------===//
//
// The dense work of an MoE block as linalg on tensors: router matmul and
// softmax/sigmoid, the row gather of moe.permute, SwiGLU MLPs (shared and
// per expert segment) and the weighted combine. Weights stay in their stored
// element type and are widened to f32 inside the matmul bodies.
//
//===----------------------------------------------------------------------===//
#include "moec/Conversion/MoEToLinalg.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/Emitter.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::moe;
using moec::lowering::Emitter;

namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

/// A new 2-D f32 tensor of `rows` x `cols` (static or dynamic) filled with
/// `v`. A fresh allocation each time (alloc_tensor is not CSE'd), so two
/// accumulators of one linalg op never share a buffer.
Value filled(OpBuilder &b, Location loc, OpFoldResult rows, OpFoldResult cols,
             float v) {
  SmallVector<Value> dynSizes;
  SmallVector<int64_t> shape;
  for (OpFoldResult d : {rows, cols}) {
    std::optional<int64_t> c = getConstantIntValue(d);
    shape.push_back(c ? *c : ShapedType::kDynamic);
    if (!c)
      dynSizes.push_back(cast<Value>(d));
  }
  Value empty = bufferization::AllocTensorOp::create(
      b, loc, RankedTensorType::get(shape, b.getF32Type()), dynSizes);
  Value cst = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  return linalg::FillOp::create(b, loc, cst, empty).getResult(0);
}

OpFoldResult dimOf(OpBuilder &b, Location loc, Value tensor, int64_t i) {
  return tensor::getMixedSize(b, loc, tensor, i);
}

AffineMap map(MLIRContext *ctx, unsigned dims, ArrayRef<unsigned> results) {
  SmallVector<AffineExpr> exprs;
  for (unsigned r : results)
    exprs.push_back(getAffineDimExpr(r, ctx));
  return AffineMap::get(dims, 0, exprs, ctx);
}

/// C[m, n] += A[m, k] * B[n, k] with B (PyTorch Linear layout) widened to f32.
Value matmulTransposedB(OpBuilder &b, Location loc, Value a, Value bMat,
                        Value init) {
  MLIRContext *ctx = b.getContext();
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{a, bMat}, ValueRange{init},
      ArrayRef{map(ctx, 3, {0, 2}), map(ctx, 3, {1, 2}), map(ctx, 3, {0, 1})},
      ArrayRef{kPar, kPar, kRed},
      [](OpBuilder &nb, Location l, ValueRange args) {
        Emitter e{nb, l};
        Value prod = e.mul(args[0], e.toF32(args[1]));
        linalg::YieldOp::create(nb, l, e.add(args[2], prod));
      });
  return generic.getResult(0);
}

/// One SwiGLU MLP on rows `x` [M, H]: gate/up [W, H], down [H, W]. The
/// result is written into `dest` [M, H] (its contents are overwritten), so
/// that a slice of a larger result is updated in place.
Value swiglu(OpBuilder &b, Location loc, Value x, Value gate, Value up,
             Value down, Value dest) {
  MLIRContext *ctx = b.getContext();
  OpFoldResult rows = dimOf(b, loc, x, 0);
  OpFoldResult width = dimOf(b, loc, gate, 0);
  Value gateInit = filled(b, loc, rows, width, 0.0f);
  Value upInit = filled(b, loc, rows, width, 0.0f);
  // Gate and up projections share the loop nest over (m, n, k).
  auto gateUp = linalg::GenericOp::create(
      b, loc, TypeRange{gateInit.getType(), upInit.getType()},
      ValueRange{x, gate, up}, ValueRange{gateInit, upInit},
      ArrayRef{map(ctx, 3, {0, 2}), map(ctx, 3, {1, 2}), map(ctx, 3, {1, 2}),
               map(ctx, 3, {0, 1}), map(ctx, 3, {0, 1})},
      ArrayRef{kPar, kPar, kRed},
      [](OpBuilder &nb, Location l, ValueRange args) {
        Emitter e{nb, l};
        Value g = e.add(args[3], e.mul(args[0], e.toF32(args[1])));
        Value u = e.add(args[4], e.mul(args[0], e.toF32(args[2])));
        linalg::YieldOp::create(nb, l, ValueRange{g, u});
      });
  Value empty =
      tensor::EmptyOp::create(b, loc, ArrayRef{rows, width}, b.getF32Type());
  auto identity = map(ctx, 2, {0, 1});
  auto act = linalg::GenericOp::create(
      b, loc, empty.getType(), gateUp.getResults(), ValueRange{empty},
      ArrayRef{identity, identity, identity}, ArrayRef{kPar, kPar},
      [](OpBuilder &nb, Location l, ValueRange args) {
        // silu(g) * u = g * u / (1 + exp(-g))
        Emitter e{nb, l};
        Value negG = arith::NegFOp::create(nb, l, args[0]);
        Value denom = e.add(e.f32(1.0), math::ExpOp::create(nb, l, negG));
        Value silu = e.div(args[0], denom);
        linalg::YieldOp::create(nb, l, e.mul(silu, args[1]));
      });
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value out = linalg::FillOp::create(b, loc, zero, dest).getResult(0);
  return matmulTransposedB(b, loc, act.getResult(0), down, out);
}

struct RouterScoresToLinalg : OpConversionPattern<RouterScoresOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RouterScoresOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getX(), w = adaptor.getWeight();
    OpFoldResult tokens = dimOf(rewriter, loc, x, 0);
    OpFoldResult experts = dimOf(rewriter, loc, w, 0);
    Value logits = matmulTransposedB(rewriter, loc, x, w,
                                     filled(rewriter, loc, tokens, experts, 0));
    auto identity = map(ctx, 2, {0, 1});
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef{tokens, experts}, rewriter.getF32Type());
    if (op.getScoring() == ScoringFunc::sigmoid) {
      auto sig = linalg::GenericOp::create(
          rewriter, loc, empty.getType(), ValueRange{logits}, ValueRange{empty},
          ArrayRef{identity, identity}, ArrayRef{kPar, kPar},
          [](OpBuilder &nb, Location l, ValueRange args) {
            Emitter e{nb, l};
            Value neg = arith::NegFOp::create(nb, l, args[0]);
            Value denom = e.add(e.f32(1.0), math::ExpOp::create(nb, l, neg));
            linalg::YieldOp::create(nb, l, e.div(e.f32(1.0), denom));
          });
      rewriter.replaceOp(op, sig.getResult(0));
      return success();
    }
    // Softmax over experts, shifted by the row maximum.
    auto rowMap = map(ctx, 2, {0});
    auto reduceRows = [&](Value input, float init, auto combine) {
      Value acc = tensor::EmptyOp::create(rewriter, loc, ArrayRef{tokens},
                                          rewriter.getF32Type());
      Value initV = arith::ConstantOp::create(rewriter, loc,
                                              rewriter.getF32FloatAttr(init));
      acc = linalg::FillOp::create(rewriter, loc, initV, acc).getResult(0);
      return linalg::GenericOp::create(
                 rewriter, loc, acc.getType(), ValueRange{input},
                 ValueRange{acc}, ArrayRef{identity, rowMap},
                 ArrayRef{kPar, kRed},
                 [&](OpBuilder &nb, Location l, ValueRange args) {
                   linalg::YieldOp::create(nb, l,
                                           combine(nb, l, args[1], args[0]));
                 })
          .getResult(0);
    };
    Value rowMax =
        reduceRows(logits, -std::numeric_limits<float>::infinity(),
                   [](OpBuilder &nb, Location l, Value acc, Value v) -> Value {
                     return arith::MaximumFOp::create(nb, l, acc, v);
                   });
    auto exps = linalg::GenericOp::create(
        rewriter, loc, empty.getType(), ValueRange{logits, rowMax},
        ValueRange{empty}, ArrayRef{identity, rowMap, identity},
        ArrayRef{kPar, kPar}, [](OpBuilder &nb, Location l, ValueRange args) {
          Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
          linalg::YieldOp::create(
              nb, l, math::ExpOp::create(nb, l, shifted).getResult());
        });
    Value sums =
        reduceRows(exps.getResult(0), 0.0f,
                   [](OpBuilder &nb, Location l, Value acc, Value v) -> Value {
                     return arith::AddFOp::create(nb, l, acc, v);
                   });
    auto probs = linalg::GenericOp::create(
        rewriter, loc, empty.getType(), ValueRange{exps.getResult(0), sums},
        ValueRange{empty}, ArrayRef{identity, rowMap, identity},
        ArrayRef{kPar, kPar}, [](OpBuilder &nb, Location l, ValueRange args) {
          linalg::YieldOp::create(
              nb, l,
              arith::DivFOp::create(nb, l, args[0], args[1]).getResult());
        });
    rewriter.replaceOp(op, probs.getResult(0));
    return success();
  }
};

struct SwiGLUToLinalg : OpConversionPattern<SwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SwiGLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    Value dest = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef{dimOf(rewriter, loc, x, 0), dimOf(rewriter, loc, x, 1)},
        rewriter.getF32Type());
    rewriter.replaceOp(op, swiglu(rewriter, loc, x, adaptor.getGateWeight(),
                                  adaptor.getUpWeight(),
                                  adaptor.getDownWeight(), dest));
    return success();
  }
};

/// One expert segment per loop iteration: rows [offsets[g], offsets[g+1])
/// through expert g's SwiGLU, written back in place.
struct GroupedSwiGLUToLinalg : OpConversionPattern<GroupedSwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GroupedSwiGLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Emitter e{rewriter, loc};
    Value input = adaptor.getInput(), offsets = adaptor.getOffsets();
    const int64_t routed = op.getNumRoutedExperts();
    const int64_t shared = op.getNumSharedExperts();
    const int64_t width = op.getGateWeights().getType().getDimSize(1);
    OpFoldResult hidden = dimOf(rewriter, loc, input, 1);
    Value result = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef{dimOf(rewriter, loc, input, 0), hidden},
        rewriter.getF32Type());

    // `weightsOf(e, g)` returns expert g's (gate, up, down) as 2-D tensors.
    using WeightFn = function_ref<std::array<Value, 3>(Emitter &, Value)>;
    auto segments = [&](Value acc, int64_t first, int64_t count,
                        WeightFn weightsOf) -> Value {
      return e.loop(
          e.index(0), e.index(count), {acc},
          [&](Emitter &e, Value i, ValueRange acc) -> SmallVector<Value> {
            Value g = e.add(i, e.index(first));
            Value lo =
                e.toIndex(tensor::ExtractOp::create(e.b, e.loc, offsets, g));
            Value hi = e.toIndex(tensor::ExtractOp::create(
                e.b, e.loc, offsets, e.add(g, e.index(1))));
            Value rows = e.sub(hi, lo);
            Value nonEmpty =
                e.cmpi(arith::CmpIPredicate::ugt, rows, e.index(0));
            auto ifOp = scf::IfOp::create(
                e.b, e.loc, nonEmpty,
                [&](OpBuilder &nb, Location l) {
                  Emitter in{nb, l};
                  OpFoldResult zero = nb.getIndexAttr(0),
                               one = nb.getIndexAttr(1);
                  Value xs = tensor::ExtractSliceOp::create(
                      nb, l, input, ArrayRef<OpFoldResult>{lo, zero},
                      ArrayRef<OpFoldResult>{rows, hidden},
                      ArrayRef<OpFoldResult>{one, one});
                  auto [gate, up, down] = weightsOf(in, i);
                  Value dest = tensor::ExtractSliceOp::create(
                      nb, l, acc[0], ArrayRef<OpFoldResult>{lo, zero},
                      ArrayRef<OpFoldResult>{rows, hidden},
                      ArrayRef<OpFoldResult>{one, one});
                  Value ys = swiglu(nb, l, xs, gate, up, down, dest);
                  Value updated = tensor::InsertSliceOp::create(
                      nb, l, ys, acc[0], ArrayRef<OpFoldResult>{lo, zero},
                      ArrayRef<OpFoldResult>{rows, hidden},
                      ArrayRef<OpFoldResult>{one, one});
                  scf::YieldOp::create(nb, l, updated);
                },
                [&](OpBuilder &nb, Location l) {
                  scf::YieldOp::create(nb, l, acc[0]);
                });
            return {ifOp.getResult(0)};
          })[0];
    };

    auto slice2D = [&](Emitter &e, Value src, ArrayRef<OpFoldResult> offs,
                       ArrayRef<int64_t> shape) -> Value {
      auto srcType = cast<RankedTensorType>(src.getType());
      SmallVector<OpFoldResult> sizes, strides;
      SmallVector<int64_t> resultShape;
      for (int64_t s : shape) {
        sizes.push_back(e.b.getIndexAttr(s == 0 ? 1 : s));
        strides.push_back(e.b.getIndexAttr(1));
        if (s != 0)
          resultShape.push_back(s);
      }
      auto type = RankedTensorType::get(resultShape, srcType.getElementType());
      return tensor::ExtractSliceOp::create(e.b, e.loc, type, src, offs, sizes,
                                            strides);
    };
    const int64_t h = op.getInput().getType().getDimSize(1);
    result = segments(result, 0, routed, [&](Emitter &e, Value g) {
      OpFoldResult z = e.b.getIndexAttr(0);
      // Shape entries of 0 drop the expert dimension (rank-reducing slice).
      return std::array<Value, 3>{
          slice2D(e, adaptor.getGateWeights(), {g, z, z}, {0, width, h}),
          slice2D(e, adaptor.getUpWeights(), {g, z, z}, {0, width, h}),
          slice2D(e, adaptor.getDownWeights(), {g, z, z}, {0, h, width})};
    });
    if (shared > 0)
      result = segments(result, routed, shared, [&](Emitter &e, Value s) {
        OpFoldResult z = e.b.getIndexAttr(0);
        OpFoldResult row = e.mul(s, e.index(width));
        return std::array<Value, 3>{
            slice2D(e, adaptor.getSharedGateWeight(), {row, z}, {width, h}),
            slice2D(e, adaptor.getSharedUpWeight(), {row, z}, {width, h}),
            slice2D(e, adaptor.getSharedDownWeight(), {z, row}, {h, width})};
      });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct PermuteToLinalg : OpConversionPattern<PermuteOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PermuteOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getX(), perm = adaptor.getPermutation();
    Value empty = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef{dimOf(rewriter, loc, perm, 0), dimOf(rewriter, loc, x, 1)},
        rewriter.getF32Type());
    int64_t topK = op.getTopK();
    auto gather = linalg::GenericOp::create(
        rewriter, loc, empty.getType(), ValueRange{perm}, ValueRange{empty},
        ArrayRef{map(ctx, 2, {0}), map(ctx, 2, {0, 1})}, ArrayRef{kPar, kPar},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Emitter e{nb, l};
          Value token = e.div(e.toIndex(args[0]), e.index(topK));
          Value h = linalg::IndexOp::create(nb, l, 1);
          linalg::YieldOp::create(
              nb, l,
              tensor::ExtractOp::create(nb, l, x, ValueRange{token, h})
                  .getResult());
        });
    rewriter.replaceOp(op, gather.getResult(0));
    return success();
  }
};

/// result[t, h] = sum_j w[t, j] * ys[row(t*k + j), h], with row() the inverse
/// of the permutation, summed in slot order.
struct CombineToLinalg : OpConversionPattern<CombineOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CombineOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Emitter e{rewriter, loc};
    Value ys = adaptor.getExpertOutputs(), weights = adaptor.getWeights();
    Value perm = adaptor.getPermutation();
    const int64_t k = op.getWeights().getType().getDimSize(1);

    auto permType = cast<RankedTensorType>(perm.getType());
    Value pairs = e.dim(perm, 0);
    Value permBuf = e.buffer(perm);
    SmallVector<Value> dyn;
    if (permType.isDynamicDim(0))
      dyn.push_back(pairs);
    Value rowOf = e.alloc(permType, dyn);
    e.loop(e.index(0), pairs, [&](Emitter &e, Value r) {
      e.store(e.toI32(r), rowOf, e.toIndex(e.load(permBuf, r)));
    });
    Value rowOfTensor = e.tensor(permType, rowOf);

    Value init = filled(rewriter, loc, dimOf(rewriter, loc, weights, 0),
                        dimOf(rewriter, loc, ys, 1), 0.0f);
    auto combine = linalg::GenericOp::create(
        rewriter, loc, init.getType(), ValueRange{weights}, ValueRange{init},
        ArrayRef{map(ctx, 3, {0, 2}), map(ctx, 3, {0, 1})},
        ArrayRef{kPar, kPar, kRed},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Emitter e{nb, l};
          Value t = linalg::IndexOp::create(nb, l, 0);
          Value h = linalg::IndexOp::create(nb, l, 1);
          Value j = linalg::IndexOp::create(nb, l, 2);
          Value pair = e.add(e.mul(t, e.index(k)), j);
          Value row =
              e.toIndex(tensor::ExtractOp::create(nb, l, rowOfTensor, pair));
          Value y = tensor::ExtractOp::create(nb, l, ys, ValueRange{row, h});
          linalg::YieldOp::create(nb, l, e.add(args[1], e.mul(args[0], y)));
        });
    rewriter.replaceOp(op, combine.getResult(0));
    return success();
  }
};

/// Slots k..k+S-1 of every token are experts first_expert.. with weight 1.
struct AppendSharedExpertsToLinalg
    : OpConversionPattern<AppendSharedExpertsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AppendSharedExpertsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value weights = adaptor.getWeights(), indices = adaptor.getIndices();
    const int64_t k = op.getIndices().getType().getDimSize(1);
    const int64_t first = op.getFirstExpert();
    auto wType = op.getResultWeights().getType();
    auto iType = op.getResultIndices().getType();
    OpFoldResult tokens = dimOf(rewriter, loc, weights, 0);
    OpFoldResult slots = rewriter.getIndexAttr(wType.getDimSize(1));
    Value wInit = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef{tokens, slots}, wType.getElementType());
    Value iInit = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef{tokens, slots}, iType.getElementType());
    auto identity = map(ctx, 2, {0, 1});
    auto gen = linalg::GenericOp::create(
        rewriter, loc, TypeRange{wInit.getType(), iInit.getType()},
        ValueRange{}, ValueRange{wInit, iInit}, ArrayRef{identity, identity},
        ArrayRef{kPar, kPar}, [&](OpBuilder &nb, Location l, ValueRange) {
          Emitter e{nb, l};
          Value t = linalg::IndexOp::create(nb, l, 0);
          Value j = linalg::IndexOp::create(nb, l, 1);
          Value routed = e.cmpi(arith::CmpIPredicate::ult, j, e.index(k));
          auto ifOp = scf::IfOp::create(
              nb, l, routed,
              [&](OpBuilder &tb, Location tl) {
                Value w = tensor::ExtractOp::create(tb, tl, weights,
                                                    ValueRange{t, j});
                Value i = tensor::ExtractOp::create(tb, tl, indices,
                                                    ValueRange{t, j});
                scf::YieldOp::create(tb, tl, ValueRange{w, i});
              },
              [&](OpBuilder &fb, Location fl) {
                Emitter f{fb, fl};
                Value expert =
                    f.toI32(f.add(f.sub(j, f.index(k)), f.index(first)));
                scf::YieldOp::create(fb, fl, ValueRange{f.f32(1.0), expert});
              });
          linalg::YieldOp::create(nb, l, ifOp.getResults());
        });
    rewriter.replaceOp(op, gen.getResults());
    return success();
  }
};

} // namespace

void moec::populateExpertsToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<RouterScoresToLinalg, SwiGLUToLinalg, GroupedSwiGLUToLinalg,
               PermuteToLinalg, CombineToLinalg, AppendSharedExpertsToLinalg>(
      patterns.getContext());
}
