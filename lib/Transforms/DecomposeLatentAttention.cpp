//===- DecomposeLatentAttention.cpp - MLA, absorbed or expanded -----------===//
#include "moec/Transforms/Passes.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace moec {
#define GEN_PASS_DEF_MOEDECOMPOSELATENTATTENTION
#include "moec/Transforms/Passes.h.inc"
} // namespace moec

using namespace mlir;
using namespace mlir::moe;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

/// Shapes and the pieces both forms take from one moe.latent_attention.
class LatentAttention {
public:
  LatentAttention(PatternRewriter &b, LatentAttentionOp op)
      : b(b), loc(op.getLoc()), op(op), heads(op.getNumHeads()),
        nope(op.getNopeDim()), rope(op.getRopeDim()), latent(op.getLatentDim()),
        value(op.getValueDim()) {}

  /// kv_b [H * (Dn + Dv), C] as [H, Dn + Dv, C], and its key [H, Dn, C] or
  /// value [H, Dv, C] blocks.
  Value kvbBlocks(bool values) {
    Value kvb = op.getKvB();
    auto type = cast<RankedTensorType>(kvb.getType());
    auto split = RankedTensorType::get({heads, nope + value, latent},
                                       type.getElementType());
    Value perHead = tensor::ExpandShapeOp::create(
        b, loc, split, kvb, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0),
                                      b.getIndexAttr(values ? nope : 0),
                                      b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(heads),
                                    b.getIndexAttr(values ? value : nope),
                                    b.getIndexAttr(latent)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, perHead, offsets, sizes,
                                          strides);
  }

  /// Rows [T, H * a] and [T, H * r] as [T, H * (a + r)]: each head's a
  /// values, then its r values.
  Value joinHeads(Value first, Value second) {
    const int64_t a =
        cast<RankedTensorType>(first.getType()).getDimSize(1) / heads;
    const int64_t r = rope;
    Value tokens = tensor::DimOp::create(b, loc, first, 0);
    Value joined = tensor::EmptyOp::create(
        b, loc,
        ArrayRef<OpFoldResult>{tokens, b.getIndexAttr(heads),
                               b.getIndexAttr(a + r)},
        b.getF32Type());
    joined = insertHeads(first, joined, 0, a);
    joined = insertHeads(second, joined, a, r);
    return tensor::CollapseShapeOp::create(
        b, loc, joined, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  }

  /// moe.attention over `keys` and `values` with the op's start, heads and
  /// scale.
  Value attend(Value query, Value keys, Value values) {
    auto queryType = cast<RankedTensorType>(query.getType());
    const int64_t valueWidth =
        cast<RankedTensorType>(values.getType()).getDimSize(2);
    auto type = RankedTensorType::get(
        {queryType.getDimSize(0), heads * valueWidth}, b.getF32Type());
    return AttentionOp::create(b, loc, type, query, keys, values, op.getStart(),
                               op.getNumHeadsAttr(), op.getScaleAttr());
  }

  /// [T, H * n] of per-head products.
  Value headMatmul(Value x, Value weights, bool transposed, int64_t n) {
    auto type = RankedTensorType::get(
        {cast<RankedTensorType>(x.getType()).getDimSize(0), heads * n},
        b.getF32Type());
    return HeadMatmulOp::create(b, loc, type, x, weights,
                                transposed ? b.getUnitAttr() : UnitAttr());
  }

  /// The absorbed form: q_lat = K_h^T q_nope per head; multi-query
  /// attention of [q_lat, q_rope] over the cache rows [c, r] with values c;
  /// out = V_h o_lat per head.
  Value absorbed() {
    Value keyBlocks = kvbBlocks(/*values=*/false);
    Value qLatent =
        headMatmul(op.getQNope(), keyBlocks, /*transposed=*/false, latent);
    Value query = joinHeads(qLatent, op.getQRope());

    // The cache [S, C + Dr] is the keys of one key/value head; its first C
    // columns are the values.
    Value cache = op.getLatent();
    auto cacheType = cast<RankedTensorType>(cache.getType());
    auto keysType = RankedTensorType::get(
        {1, cacheType.getDimSize(0), cacheType.getDimSize(1)},
        cacheType.getElementType());
    Value keys = tensor::ExpandShapeOp::create(
        b, loc, keysType, cache, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    Value positions = tensor::DimOp::create(b, loc, cache, 0);
    SmallVector<OpFoldResult> offsets(3, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), positions,
                                    b.getIndexAttr(latent)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    Value values =
        tensor::ExtractSliceOp::create(b, loc, keys, offsets, sizes, strides);
    Value outLatent = attend(query, keys, values);
    Value valueBlocks = kvbBlocks(/*values=*/true);
    return headMatmul(outLatent, valueBlocks, /*transposed=*/true, value);
  }

  /// The expanded form: keys [H, P, Dn + Dr] and values [H, P, Dv] of the
  /// P = start + T cached positions from kv_b_proj times their latents, then
  /// multi-head attention.
  Value expanded() {
    Type f32 = b.getF32Type();
    Value tokens = tensor::DimOp::create(b, loc, op.getQNope(), 0);
    Value positions = arith::AddIOp::create(b, loc, op.getStart(), tokens);
    auto cacheColumns = [&](int64_t at, int64_t width) -> Value {
      SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(at)};
      SmallVector<OpFoldResult> sizes{positions, b.getIndexAttr(width)};
      SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(b, loc, op.getLatent(),
                                                   offsets, sizes, strides);
      auto type = cast<RankedTensorType>(slice.getType());
      if (type.getElementType().isF32())
        return slice;
      return arith::ExtFOp::create(b, loc, type.clone(f32), slice);
    };
    Value latents = cacheColumns(0, latent);
    Value rotary = cacheColumns(latent, rope);

    const int64_t perHead = nope + value;
    auto kvType = RankedTensorType::get({kDyn, heads * perHead}, f32);
    Value kv = LinearOp::create(b, loc, kvType, latents, op.getKvB(),
                                /*rope_start=*/Value(), /*residual=*/Value(),
                                RoPEAttr());
    auto kv3Type = RankedTensorType::get({kDyn, heads, perHead}, f32);
    Value kv3 = tensor::ExpandShapeOp::create(
        b, loc, kv3Type, kv, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    auto columns3 = [&](Value t, int64_t at, int64_t width) -> Value {
      SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                        b.getIndexAttr(at)};
      SmallVector<OpFoldResult> sizes{positions, b.getIndexAttr(heads),
                                      b.getIndexAttr(width)};
      SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
      return tensor::ExtractSliceOp::create(b, loc, t, offsets, sizes, strides);
    };
    auto emptyOf = [&](ArrayRef<OpFoldResult> sizes) -> Value {
      return tensor::EmptyOp::create(b, loc, sizes, f32);
    };
    auto headMajor = [&](Value positionMajor, int64_t width) -> Value {
      Value empty =
          emptyOf({b.getIndexAttr(heads), positions, b.getIndexAttr(width)});
      return linalg::TransposeOp::create(b, loc, positionMajor, empty,
                                         ArrayRef<int64_t>{1, 0, 2})
          .getResult()[0];
    };

    // Keys per position [P, H, Dn + Dr]: each head's k_nope, then the
    // shared rotary key.
    Value keys3 = emptyOf(
        {positions, b.getIndexAttr(heads), b.getIndexAttr(nope + rope)});
    Value keyNope = columns3(kv3, 0, nope);
    SmallVector<OpFoldResult> at0(3, b.getIndexAttr(0));
    SmallVector<OpFoldResult> ones(3, b.getIndexAttr(1));
    SmallVector<OpFoldResult> nopeSizes{positions, b.getIndexAttr(heads),
                                        b.getIndexAttr(nope)};
    keys3 = tensor::InsertSliceOp::create(b, loc, keyNope, keys3, at0,
                                          nopeSizes, ones);
    Value rotaryEmpty =
        emptyOf({positions, b.getIndexAttr(heads), b.getIndexAttr(rope)});
    Value rotaryPerHead = linalg::BroadcastOp::create(
                              b, loc, rotary, rotaryEmpty, ArrayRef<int64_t>{1})
                              .getResult()[0];
    SmallVector<OpFoldResult> ropeAt{b.getIndexAttr(0), b.getIndexAttr(0),
                                     b.getIndexAttr(nope)};
    SmallVector<OpFoldResult> ropeSizes{positions, b.getIndexAttr(heads),
                                        b.getIndexAttr(rope)};
    keys3 = tensor::InsertSliceOp::create(b, loc, rotaryPerHead, keys3, ropeAt,
                                          ropeSizes, ones);
    Value keys = headMajor(keys3, nope + rope);
    Value valueColumns = columns3(kv3, nope, value);
    Value values = headMajor(valueColumns, value);

    Value query = joinHeads(op.getQNope(), op.getQRope());
    return attend(query, keys, values);
  }

  PatternRewriter &b;
  Location loc;
  LatentAttentionOp op;
  const int64_t heads, nope, rope, latent, value;

private:
  /// Writes rows [T, H * width] into columns [at, at + width) of each head
  /// of `dest` [T, H, *].
  Value insertHeads(Value rows, Value dest, int64_t at, int64_t width) {
    auto type = RankedTensorType::get({kDyn, heads, width}, b.getF32Type());
    Value perHead = tensor::ExpandShapeOp::create(
        b, loc, type, rows, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    Value tokens = tensor::DimOp::create(b, loc, rows, 0);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                      b.getIndexAttr(at)};
    SmallVector<OpFoldResult> sizes{tokens, b.getIndexAttr(heads),
                                    b.getIndexAttr(width)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::InsertSliceOp::create(b, loc, perHead, dest, offsets, sizes,
                                         strides);
  }
};

/// Lowers each moe.latent_attention: calls with at least `expandMinTokens`
/// new tokens (when > 0) expand, the others absorb; when both can happen,
/// an scf.if on the token count chooses at run time.
struct DecomposeLatentAttention : OpRewritePattern<LatentAttentionOp> {
  DecomposeLatentAttention(MLIRContext *ctx, int64_t expandMinTokens)
      : OpRewritePattern(ctx), expandMinTokens(expandMinTokens) {}

  LogicalResult matchAndRewrite(LatentAttentionOp op,
                                PatternRewriter &rewriter) const override {
    LatentAttention a(rewriter, op);
    if (expandMinTokens <= 0) {
      rewriter.replaceOp(op, a.absorbed());
      return success();
    }
    if (expandMinTokens == 1) {
      rewriter.replaceOp(op, a.expanded());
      return success();
    }
    Location loc = op.getLoc();
    Value tokens = tensor::DimOp::create(rewriter, loc, op.getQNope(), 0);
    Value threshold =
        arith::ConstantIndexOp::create(rewriter, loc, expandMinTokens);
    Value many = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::uge,
                                       tokens, threshold);
    auto choice = scf::IfOp::create(
        rewriter, loc, many,
        [&](OpBuilder &, Location l) {
          scf::YieldOp::create(rewriter, l, a.expanded());
        },
        [&](OpBuilder &, Location l) {
          scf::YieldOp::create(rewriter, l, a.absorbed());
        });
    rewriter.replaceOp(op, choice.getResults());
    return success();
  }

  int64_t expandMinTokens;
};

struct MoEDecomposeLatentAttention
    : moec::impl::MoEDecomposeLatentAttentionBase<MoEDecomposeLatentAttention> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    moec::populateDecomposeLatentAttentionPatterns(patterns, expandMinTokens);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void moec::populateDecomposeLatentAttentionPatterns(RewritePatternSet &patterns,
                                                    int64_t expandMinTokens) {
  patterns.add<DecomposeLatentAttention>(patterns.getContext(),
                                         expandMinTokens);
}
