//===- ModuleBuilder.cpp - moe IR from a module spec ----------------------===//
#include "moec/Compiler/ModuleBuilder.h"

#include "MoE/MoEOps.h"
#include "moec/Model/Rotary.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace moec;

namespace {

Type elementType(OpBuilder &b, DType dtype) {
  switch (dtype) {
  case DType::F32:
    return b.getF32Type();
  case DType::F16:
    return b.getF16Type();
  case DType::BF16:
    return b.getBF16Type();
  case DType::I32:
    return b.getI32Type();
  }
  return b.getF32Type();
}

SmallVector<int64_t> mlirShape(const std::vector<int64_t> &shape) {
  SmallVector<int64_t> result;
  for (int64_t d : shape)
    result.push_back(d == kDynamicSize ? ShapedType::kDynamic : d);
  return result;
}

/// Builds the body of one function: its operands as tensors, in spec order.
class FunctionBuilder {
public:
  FunctionBuilder(OpBuilder &b, Location loc, const ModelConfig &config,
                  const FunctionSpec &spec, func::FuncOp func)
      : b(b), loc(loc), config(config), spec(spec) {
    Block *body = func.addEntryBlock();
    b.setInsertionPointToStart(body);
    for (auto [op, arg] : llvm::zip(spec.operands, body->getArguments())) {
      memrefs.push_back(arg);
      if (op.role == OperandRole::Index) {
        values.push_back(arg);
        continue;
      }
      auto type = cast<MemRefType>(arg.getType());
      bool writable =
          op.role == OperandRole::Output || op.role == OperandRole::InOut;
      Value tensor = bufferization::ToTensorOp::create(
          b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
          arg,
          /*restrict=*/true, writable);
      if (op.panels)
        tensor = unpack(tensor, *op.panels);
      values.push_back(tensor);
    }
  }

  /// The matrices of a weight in panels, as the moe ops take them.
  Value unpack(Value packed, const PanelLayout &layout) {
    auto element = cast<RankedTensorType>(packed.getType()).getElementType();
    auto type =
        RankedTensorType::get(mlirShape(layout.unpackedShape()), element);
    IntegerAttr concat;
    if (layout.concat >= 0)
      concat = b.getI64IntegerAttr(layout.concat);
    return moe::UnpackWeightsOp::create(b, loc, type, packed, concat);
  }

  /// Operand `i` (a tensor, or the index value).
  Value operand(size_t i) const { return values[i]; }
  /// The next weight operand, in order.
  Value nextWeight() {
    while (spec.operands[next].role != OperandRole::Weight)
      ++next;
    return values[next++];
  }
  /// Writes `value` into the buffer of operand `i`.
  void store(Value value, size_t i) {
    bufferization::MaterializeInDestinationOp::create(
        b, loc, TypeRange{}, value, memrefs[i], /*restrict=*/true,
        /*writable=*/true);
  }

  RankedTensorType activations(int64_t width) const {
    return RankedTensorType::get({ShapedType::kDynamic, width}, b.getF32Type());
  }

  /// The MLP block (moe.block or a dense moe.swiglu) on `x`, reading the
  /// next weight operands in the order of ModuleSpec's MLP weights.
  Value mlp(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    if (!spec.moe) {
      Value gate = nextWeight(), up = nextWeight(), down = nextWeight();
      return moe::SwiGLUOp::create(b, loc, type, x, gate, up, down);
    }
    Value router = nextWeight();
    bool noaux = config.topk_method == TopkMethod::NoauxTC;
    Value bias = noaux ? nextWeight() : Value();
    Value gate = nextWeight(), up = nextWeight(), down = nextWeight();
    Value sg, su, sd;
    if (config.n_shared_experts > 0) {
      sg = nextWeight();
      su = nextWeight();
      sd = nextWeight();
    }
    MLIRContext *ctx = b.getContext();
    auto scoring = config.scoring_func == ScoringFunc::Sigmoid
                       ? moe::ScoringFunc::sigmoid
                       : moe::ScoringFunc::softmax;
    RoutingConfig routing = config.routing();
    return moe::BlockOp::create(
        b, loc, type, x, router, bias, gate, up, down, sg, su, sd,
        moe::ScoringFuncAttr::get(ctx, scoring),
        b.getI64IntegerAttr(routing.topK),
        moe::TopkMethodAttr::get(ctx,
                                 static_cast<moe::TopkMethod>(routing.method)),
        b.getBoolAttr(routing.normTopkProb),
        b.getF64FloatAttr(routing.routedScalingFactor),
        b.getI64IntegerAttr(routing.nGroup),
        b.getI64IntegerAttr(routing.topkGroup));
  }

  Value rmsNorm(Value x, Value weight, double epsilon) {
    return moe::RMSNormOp::create(b, loc, x.getType(), x, weight,
                                  b.getF64FloatAttr(epsilon));
  }
  Value rmsNorm(Value x, Value weight) {
    return rmsNorm(x, weight, config.rms_norm_eps);
  }

  /// Columns [at, at + width) of rows [T, *].
  Value columns(Value rows, int64_t at, int64_t width) {
    Value tokens = tensor::DimOp::create(b, loc, rows, 0);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(at)};
    SmallVector<OpFoldResult> sizes{tokens, b.getIndexAttr(width)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, rows, offsets, sizes,
                                          strides);
  }

  /// Of rows [T, heads * (a + r)], each head's first a (`second` false) or
  /// last r values, as [T, heads * a] or [T, heads * r].
  Value headParts(Value rows, int64_t heads, int64_t a, int64_t r,
                  bool second) {
    auto split = RankedTensorType::get({ShapedType::kDynamic, heads, a + r},
                                       b.getF32Type());
    Value perHead = tensor::ExpandShapeOp::create(
        b, loc, split, rows, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    Value tokens = tensor::DimOp::create(b, loc, rows, 0);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                      b.getIndexAttr(second ? a : 0)};
    SmallVector<OpFoldResult> sizes{tokens, b.getIndexAttr(heads),
                                    b.getIndexAttr(second ? r : a)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    Value part = tensor::ExtractSliceOp::create(b, loc, perHead, offsets, sizes,
                                                strides);
    return tensor::CollapseShapeOp::create(
        b, loc, part, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  }

  Value linear(Value x, Value weight) {
    int64_t out = cast<RankedTensorType>(weight.getType()).getDimSize(0);
    return moe::LinearOp::create(b, loc, activations(out), x, weight,
                                 /*rope_start=*/Value(), /*residual=*/Value(),
                                 moe::RoPEAttr());
  }

  Value rope(Value x, Value start) {
    double factor =
        config.rope_scaling.type == "linear" ? config.rope_scaling.factor : 1.0;
    auto attr = moe::RoPEAttr::get(b.getContext(), config.headDim(),
                                   b.getF64FloatAttr(config.rope_theta),
                                   b.getF64FloatAttr(factor));
    return moe::RoPEOp::create(b, loc, x.getType(), x, start, attr);
  }

  /// RoPE on MLA's rotary parts [T, n * Dr] (reference section 8): the
  /// model's frequencies and cos/sin factor, interleaved pairs.
  Value latentRope(Value x, Value start) {
    LatentRotary rotary = latentRotary(config);
    auto attr = moe::RoPEAttr::get(
        b.getContext(), config.qk_rope_head_dim, FloatAttr(), FloatAttr(),
        b.getDenseF64ArrayAttr(rotary.inverseFrequencies),
        rotary.cosSinFactor == 1.0 ? FloatAttr()
                                   : b.getF64FloatAttr(rotary.cosSinFactor),
        config.rope_interleave ? moe::RoPEPairs::interleaved
                               : moe::RoPEPairs::rotate_half);
    return moe::RoPEOp::create(b, loc, x.getType(), x, start, attr);
  }

  /// Writes `rows` [T, W] into `cache` [S, W] at positions
  /// start .. start + T - 1, in the cache's element type.
  Value appendRows(Value rows, Value cache, Value start) {
    auto cacheType = cast<RankedTensorType>(cache.getType());
    const int64_t width = cacheType.getDimSize(1);
    Value tokens = tensor::DimOp::create(b, loc, rows, 0);
    if (Type element = cacheType.getElementType(); !element.isF32())
      rows = arith::TruncFOp::create(
          b, loc, RankedTensorType::get({ShapedType::kDynamic, width}, element),
          rows);
    SmallVector<OpFoldResult> offsets{start, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{tokens, b.getIndexAttr(width)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return tensor::InsertSliceOp::create(b, loc, rows, cache, offsets, sizes,
                                         strides);
  }

  /// Writes `rows` [T, heads * D] into the head-major `cache` [heads, S, D]
  /// at positions start .. start + T - 1, in the cache's element type.
  Value appendToCache(Value rows, Value cache, Value start) {
    auto cacheType = cast<RankedTensorType>(cache.getType());
    const int64_t heads = cacheType.getDimSize(0),
                  dim = cacheType.getDimSize(2);
    Value tokens = tensor::DimOp::create(b, loc, rows, 0);
    auto split = RankedTensorType::get({ShapedType::kDynamic, heads, dim},
                                       b.getF32Type());
    Value perHead = tensor::ExpandShapeOp::create(
        b, loc, split, rows, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    Value empty = tensor::EmptyOp::create(
        b, loc,
        ArrayRef<OpFoldResult>{b.getIndexAttr(heads), tokens,
                               b.getIndexAttr(dim)},
        b.getF32Type());
    Value headMajor = linalg::TransposeOp::create(b, loc, perHead, empty,
                                                  ArrayRef<int64_t>{1, 0, 2})
                          .getResult()[0];
    // A half-precision cache stores the keys and values rounded.
    if (Type element = cacheType.getElementType(); !element.isF32())
      headMajor = arith::TruncFOp::create(
          b, loc,
          RankedTensorType::get(
              cast<RankedTensorType>(headMajor.getType()).getShape(), element),
          headMajor);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), start,
                                      b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(heads), tokens,
                                    b.getIndexAttr(dim)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::InsertSliceOp::create(b, loc, headMajor, cache, offsets,
                                         sizes, strides);
  }

  OpBuilder &b;
  Location loc;
  const ModelConfig &config;
  const FunctionSpec &spec;

private:
  SmallVector<Value> memrefs, values;
  size_t next = 0;
};

void buildMLP(FunctionBuilder &f) { f.store(f.mlp(f.operand(0)), 1); }

void buildEmbed(FunctionBuilder &f) {
  Value table = f.nextWeight();
  int64_t hidden = cast<RankedTensorType>(table.getType()).getDimSize(1);
  Value h = moe::EmbeddingOp::create(f.b, f.loc, f.activations(hidden), table,
                                     f.operand(0));
  f.store(h, 1);
}

void buildHead(FunctionBuilder &f) {
  Value norm = f.nextWeight(), lmHead = f.nextWeight();
  f.store(f.linear(f.rmsNorm(f.operand(0), norm), lmHead), 1);
}

/// Multi-head latent attention (reference section 8) of a decoder layer on
/// its normed input `n`, with the compressed cache at operand 2; returns the
/// attention output [T, H] before o_proj and stores the cache.
Value latentAttention(FunctionBuilder &f, Value n, Value start) {
  OpBuilder &b = f.b;
  Location loc = f.loc;
  const ModelConfig &c = f.config;
  const int64_t heads = c.num_attention_heads, nope = c.qk_nope_head_dim,
                rope = c.qk_rope_head_dim, latent = c.kv_lora_rank;
  // q_a_layernorm and kv_a_layernorm are built without the config's epsilon
  // in the original code and in transformers, so they keep RMSNorm's
  // default.
  const double latentEps = 1e-6;
  Value q;
  if (c.q_lora_rank > 0) {
    Value qa = f.nextWeight(), qaNorm = f.nextWeight(), qb = f.nextWeight();
    Value compressed = f.rmsNorm(f.linear(n, qa), qaNorm, latentEps);
    q = f.linear(compressed, qb);
  } else {
    q = f.linear(n, f.nextWeight());
  }
  Value kvA = f.nextWeight(), kvANorm = f.nextWeight(), kvB = f.nextWeight();
  Value kv = f.linear(n, kvA);
  Value c0 = f.rmsNorm(f.columns(kv, 0, latent), kvANorm, latentEps);
  Value kRope = f.latentRope(f.columns(kv, latent, rope), start);

  // The new cache rows [c, k_rope].
  Value tokens = tensor::DimOp::create(b, loc, n, 0);
  Value rows = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{tokens, b.getIndexAttr(latent + rope)},
      b.getF32Type());
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  SmallVector<OpFoldResult> latentAt{b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> latentSizes{tokens, b.getIndexAttr(latent)};
  rows = tensor::InsertSliceOp::create(b, loc, c0, rows, latentAt, latentSizes,
                                       strides);
  SmallVector<OpFoldResult> ropeAt{b.getIndexAttr(0), b.getIndexAttr(latent)};
  SmallVector<OpFoldResult> ropeSizes{tokens, b.getIndexAttr(rope)};
  rows = tensor::InsertSliceOp::create(b, loc, kRope, rows, ropeAt, ropeSizes,
                                       strides);
  Value cache = f.appendRows(rows, f.operand(2), start);

  Value qNope = f.headParts(q, heads, nope, rope, /*second=*/false);
  Value qRope =
      f.latentRope(f.headParts(q, heads, nope, rope, /*second=*/true), start);
  Value out = moe::LatentAttentionOp::create(
      b, loc, f.activations(heads * c.v_head_dim), qNope, qRope, cache, kvB,
      start, b.getI64IntegerAttr(heads),
      b.getF64FloatAttr(latentSoftmaxScale(c)));
  f.store(cache, 2);
  return out;
}

/// Multi-head attention (reference section 4) with its keys and values
/// caches at operands 2 and 3; returns the output before o_proj and stores
/// the caches.
Value multiHeadAttention(FunctionBuilder &f, Value n, Value start) {
  OpBuilder &b = f.b;
  Location loc = f.loc;
  const ModelConfig &c = f.config;
  Value keys = f.operand(2), values = f.operand(3);
  Value wq = f.nextWeight(), wk = f.nextWeight(), wv = f.nextWeight();
  Value q = f.rope(f.linear(n, wq), start);
  Value k = f.rope(f.linear(n, wk), start);
  Value v = f.linear(n, wv);
  keys = f.appendToCache(k, keys, start);
  values = f.appendToCache(v, values, start);
  Value out = moe::AttentionOp::create(
      b, loc, q.getType(), q, keys, values, start,
      b.getI64IntegerAttr(c.num_attention_heads), FloatAttr());
  f.store(keys, 2);
  f.store(values, 3);
  return out;
}

/// A pre-norm decoder layer (reference section 4): h += Attn(RMSNorm(h)),
/// then h += MLP(RMSNorm(h)); the new keys and values (or latents) join the
/// cache.
void buildDecoderLayer(FunctionBuilder &f) {

  OpBuilder &b = f.b;
  Location loc = f.loc;
  Value x = f.operand(0), start = f.operand(1);
  Value inputNorm = f.nextWeight();
  Value n = f.rmsNorm(x, inputNorm);
  Value attn = f.config.model_type == ModelType::Deepseek
                   ? multiHeadAttention(f, n, start)
                   : latentAttention(f, n, start);
  Value wo = f.nextWeight(), postNorm = f.nextWeight();
  Value h = arith::AddFOp::create(b, loc, f.linear(attn, wo), x);
  Value mlp = f.mlp(f.rmsNorm(h, postNorm));
  h = arith::AddFOp::create(b, loc, mlp, h);
  f.store(h, 0);
}

} // namespace

OwningOpRef<ModuleOp> moec::buildModule(MLIRContext &ctx,
                                        const ModuleSpec &spec) {
  ctx.loadDialect<moe::MoEDialect, func::FuncDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, tensor::TensorDialect>();
  OpBuilder b(&ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  for (const FunctionSpec &fn : spec.functions) {
    std::string where =
        spec.kind == ModuleSpec::Kind::MLP
            ? "model.layers." + std::to_string(spec.layer) + ".mlp"
            : fn.name;
    Location loc = FileLineColLoc::get(&ctx, where, 0, 0);
    SmallVector<Type> argTypes;
    for (const OperandSpec &op : fn.operands)
      argTypes.push_back(op.role == OperandRole::Index
                             ? Type(b.getIndexType())
                             : Type(MemRefType::get(mlirShape(op.shape),
                                                    elementType(b, op.dtype))));
    b.setInsertionPointToEnd(module->getBody());
    auto func =
        func::FuncOp::create(b, loc, fn.name, b.getFunctionType(argTypes, {}));
    func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    FunctionBuilder f(b, loc, spec.config, fn, func);
    switch (fn.kind) {
    case FunctionKind::MLP:
      buildMLP(f);
      break;
    case FunctionKind::Embed:
      buildEmbed(f);
      break;
    case FunctionKind::DecoderLayer:
      buildDecoderLayer(f);
      break;
    case FunctionKind::Head:
      buildHead(f);
      break;
    }
    func::ReturnOp::create(b, loc);
  }
  return module;
}
