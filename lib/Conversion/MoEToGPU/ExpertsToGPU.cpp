//===- ExpertsToGPU.cpp - SwiGLU experts as gather/GEMM/combine kernels ---===//
//
// moe.expert_ffn becomes three kernels over the sorted rows r (a thread
// per output cell):
//
//   1. gate/up + SwiGLU: act[r, j] = silu(x[t] . gate_g[j]) * (x[t] . up_g[j])
//      with t = permutation[r] / k read through the permutation (no permuted
//      copy) and g the expert whose segment holds r;
//   2. down, weighted: slot[p, h] = weights[t, j] * (act[r] . down_g[h]) at
//      the row of its pair p = permutation[r] = t * k + j, so every thread
//      writes its own place;
//   3. combine: y[t, h] = sum_{j = 0..k-1} slot[t * k + j, h], in slot order.
//
// No float atomics: each output is written once, and sums run in a fixed
// order, so results do not vary from run to run. Weights are read as stored
// (PyTorch Linear layout, f32/f16/bf16) and widened to f32 in registers.
// moe.swiglu is the same kernels with one expert, the identity routing and
// no combine.
//
//===----------------------------------------------------------------------===//
#include "Launch.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

/// The operands of the expert kernels as buffers.
struct Experts {
  /// Tokens [T, H].
  Value x;
  /// Routing (empty for a dense MLP): permutation [T*k], offsets [G+1],
  /// weights [T, k].
  Value permutation, offsets, weights;
  int64_t k = 1;
  /// Routed experts (empty for a dense MLP): gate/up [E, I, H], down
  /// [E, H, I].
  Value gate, up, down;
  int64_t routed = 0;
  /// Shared experts, S of width I (or one dense MLP): gate/up [S*I, H],
  /// down [H, S*I].
  Value sharedGate, sharedUp, sharedDown;
  int64_t groups = 1;
  int64_t width = 0, hidden = 0;
};

/// Emits `if (cond) then() else otherwise()` yielding the values of the
/// branches (the second may be absent, in both).
std::pair<Value, Value>
select2(Emitter &e, Value cond,
        function_ref<std::pair<Value, Value>(Emitter &)> then,
        function_ref<std::pair<Value, Value>(Emitter &)> otherwise) {
  auto branch = [](function_ref<std::pair<Value, Value>(Emitter &)> body) {
    return [body](OpBuilder &b, Location l) {
      Emitter in{b, l};
      auto [first, second] = body(in);
      SmallVector<Value> yielded{first};
      if (second)
        yielded.push_back(second);
      scf::YieldOp::create(b, l, yielded);
    };
  };
  auto op =
      scf::IfOp::create(e.b, e.loc, cond, branch(then), branch(otherwise));
  Value second = op.getNumResults() > 1 ? op.getResult(1) : Value();
  return {op.getResult(0), second};
}

/// sum_i a(i) * b(i) over [0, n), and the same with c(i) if given.
std::pair<Value, Value> dot(Emitter &e, int64_t n,
                            function_ref<Value(Emitter &, Value)> a,
                            function_ref<Value(Emitter &, Value)> b,
                            function_ref<Value(Emitter &, Value)> c) {
  Value zero = e.index(0), end = e.index(n), acc = e.f32(0.0);
  SmallVector<Value> init{acc};
  if (c)
    init.push_back(acc);
  ValueRange sums =
      e.loop(zero, end, init,
             [&](Emitter &e, Value i, ValueRange s) -> SmallVector<Value> {
               Value ai = a(e, i);
               Value bi = b(e, i);
               SmallVector<Value> next{e.add(s[0], e.mul(ai, bi))};
               if (c) {
                 Value ci = c(e, i);
                 next.push_back(e.add(s[1], e.mul(ai, ci)));
               }
               return next;
             });
  Value second = c ? Value(sums[1]) : Value();
  return {sums[0], second};
}

/// The expert whose segment [offsets[g], offsets[g+1]) holds sorted row r:
/// the number of g >= 1 with offsets[g] <= r.
Value expertOfRow(Emitter &e, const Experts &ex, Value row) {
  if (!ex.offsets)
    return e.index(0);
  Value first = e.index(1), end = e.index(ex.groups), none = e.index(0);
  Value rowI32 = e.toI32(row);
  return e.loop(first, end, {none},
                [&](Emitter &e, Value g, ValueRange n) -> SmallVector<Value> {
                  Value start = e.load(ex.offsets, g);
                  Value past = e.cmpi(arith::CmpIPredicate::sle, start, rowI32);
                  Value next = e.add(n[0], e.index(1));
                  return {e.select(past, next, n[0])};
                })[0];
}

Value silu(Emitter &e, Value a) {
  Value neg = arith::NegFOp::create(e.b, e.loc, a);
  Value expNeg = math::ExpOp::create(e.b, e.loc, neg);
  Value one = e.f32(1.0);
  return e.div(a, e.add(one, expNeg));
}

/// The pair (t * k + j) of sorted row r.
Value pairOfRow(Emitter &e, const Experts &ex, Value row) {
  return ex.permutation ? e.toIndex(e.load(ex.permutation, row)) : row;
}

/// Kernels 1 and 2; returns the [R, H] buffer of weighted expert outputs,
/// indexed by pair (for a dense MLP: the result itself, `out`).
void emitExpertKernels(Emitter &e, const Experts &ex, Value rows, Value act,
                       Value out) {
  const std::string prefix = ex.permutation ? "experts_" : "swiglu_";
  const int64_t width = ex.width, hidden = ex.hidden;
  Value widthV = e.index(width), hiddenV = e.index(hidden);
  // 1. gate/up + SwiGLU.
  launchPerCell(
      e, prefix + "gate_up", rows, widthV, [&](Emitter &e, Value r, Value j) {
        Value g = expertOfRow(e, ex, r);
        Value pair = pairOfRow(e, ex, r);
        Value t = e.div(pair, e.index(ex.k));
        auto xAt = [&](Emitter &e, Value h) { return e.load(ex.x, {t, h}); };
        auto routed = [&](Emitter &e) {
          auto gateAt = [&](Emitter &e, Value h) {
            return e.toF32(e.load(ex.gate, {g, j, h}));
          };
          auto upAt = [&](Emitter &e, Value h) {
            return e.toF32(e.load(ex.up, {g, j, h}));
          };
          return dot(e, hidden, xAt, gateAt, upAt);
        };
        auto shared = [&](Emitter &e) {
          Value s = e.sub(g, e.index(ex.routed));
          Value row = e.add(e.mul(s, e.index(width)), j);
          auto gateAt = [&](Emitter &e, Value h) {
            return e.toF32(e.load(ex.sharedGate, {row, h}));
          };
          auto upAt = [&](Emitter &e, Value h) {
            return e.toF32(e.load(ex.sharedUp, {row, h}));
          };
          return dot(e, hidden, xAt, gateAt, upAt);
        };
        std::pair<Value, Value> gu;
        if (!ex.sharedGate)
          gu = routed(e);
        else if (!ex.gate)
          gu = shared(e);
        else
          gu = select2(e,
                       e.cmpi(arith::CmpIPredicate::ult, g, e.index(ex.routed)),
                       routed, shared);
        Value activated = silu(e, gu.first);
        e.store(e.mul(activated, gu.second), act, {r, j});
      });
  // 2. down, times the routing weight, at the pair's row.
  launchPerCell(
      e, prefix + "down", rows, hiddenV, [&](Emitter &e, Value r, Value h) {
        Value g = expertOfRow(e, ex, r);
        Value pair = pairOfRow(e, ex, r);
        auto actAt = [&](Emitter &e, Value i) { return e.load(act, {r, i}); };
        auto routed = [&](Emitter &e) {
          auto downAt = [&](Emitter &e, Value i) {
            return e.toF32(e.load(ex.down, {g, h, i}));
          };
          return dot(e, width, actAt, downAt, nullptr);
        };
        auto shared = [&](Emitter &e) {
          Value s = e.sub(g, e.index(ex.routed));
          Value base = e.mul(s, e.index(width));
          auto downAt = [&](Emitter &e, Value i) {
            return e.toF32(e.load(ex.sharedDown, {h, e.add(base, i)}));
          };
          return dot(e, width, actAt, downAt, nullptr);
        };
        Value y;
        if (!ex.sharedDown)
          y = routed(e).first;
        else if (!ex.down)
          y = shared(e).first;
        else
          y = select2(
                  e, e.cmpi(arith::CmpIPredicate::ult, g, e.index(ex.routed)),
                  [&](Emitter &e) { return routed(e); },
                  [&](Emitter &e) { return shared(e); })
                  .first;
        if (ex.weights) {
          Value kV = e.index(ex.k);
          Value t = e.div(pair, kV);
          Value j = e.rem(pair, kV);
          y = e.mul(y, e.load(ex.weights, {t, j}));
        }
        e.store(y, out, {pair, h});
      });
}

struct ExpertFFNToGPU : OpConversionPattern<ExpertFFNOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ExpertFFNOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto gateType = op.getGateWeights().getType();
    const int64_t hidden = op.getX().getType().getDimSize(1);
    if (ShapedType::isDynamic(hidden) ||
        ShapedType::isDynamic(gateType.getDimSize(1)))
      return rewriter.notifyMatchFailure(op, "needs static H and I");
    Emitter e{rewriter, op.getLoc()};
    Experts ex;
    ex.x = e.buffer(adaptor.getX());
    ex.permutation = e.buffer(adaptor.getPermutation());
    ex.offsets = e.buffer(adaptor.getOffsets());
    ex.weights = e.buffer(adaptor.getWeights());
    ex.k = op.getTopK();
    ex.routed = op.getNumRoutedExperts();
    ex.gate = e.buffer(adaptor.getGateWeights());
    ex.up = e.buffer(adaptor.getUpWeights());
    ex.down = e.buffer(adaptor.getDownWeights());
    if (adaptor.getSharedGateWeight()) {
      ex.sharedGate = e.buffer(adaptor.getSharedGateWeight());
      ex.sharedUp = e.buffer(adaptor.getSharedUpWeight());
      ex.sharedDown = e.buffer(adaptor.getSharedDownWeight());
    }
    ex.groups = op.getOffsets().getType().getDimSize(0);
    ex.width = gateType.getDimSize(1);
    ex.hidden = hidden;

    Value tokens = e.dim(ex.x, 0);
    Value rows = e.dim(ex.permutation, 0);
    Type f32 = rewriter.getF32Type();
    auto rowsType = [&](int64_t n) {
      return RankedTensorType::get({ShapedType::kDynamic, n}, f32);
    };
    Value act = e.alloc(rowsType(ex.width), rows);
    Value slots = e.alloc(rowsType(hidden), rows);
    emitExpertKernels(e, ex, rows, act, slots);
    // 3. combine, in slot order.
    Value result = e.alloc(op.getType(), tokens);
    Value hiddenV = e.index(hidden);
    launchPerCell(
        e, "combine", tokens, hiddenV, [&](Emitter &e, Value t, Value h) {
          Value base = e.mul(t, e.index(ex.k));
          Value zero = e.index(0), k = e.index(ex.k), acc = e.f32(0.0);
          Value sum = e.loop(
              zero, k, {acc},
              [&](Emitter &e, Value j, ValueRange s) -> SmallVector<Value> {
                Value v = e.load(slots, {e.add(base, j), h});
                return {e.add(s[0], v)};
              })[0];
          e.store(sum, result, {t, h});
        });
    rewriter.replaceOp(op, e.tensor(op.getType(), result));
    return success();
  }
};

struct SwiGLUToGPU : OpConversionPattern<SwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SwiGLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t hidden = op.getX().getType().getDimSize(1);
    const int64_t width = op.getGateWeight().getType().getDimSize(0);
    if (ShapedType::isDynamic(hidden) || ShapedType::isDynamic(width))
      return rewriter.notifyMatchFailure(op, "needs static H and I");
    Emitter e{rewriter, op.getLoc()};
    Experts ex;
    ex.x = e.buffer(adaptor.getX());
    ex.sharedGate = e.buffer(adaptor.getGateWeight());
    ex.sharedUp = e.buffer(adaptor.getUpWeight());
    ex.sharedDown = e.buffer(adaptor.getDownWeight());
    ex.width = width;
    ex.hidden = hidden;
    Value tokens = e.dim(ex.x, 0);
    auto actType = RankedTensorType::get({ShapedType::kDynamic, width},
                                         rewriter.getF32Type());
    Value act = e.alloc(actType, tokens);
    Value result = e.alloc(op.getType(), tokens);
    emitExpertKernels(e, ex, tokens, act, result);
    rewriter.replaceOp(op, e.tensor(op.getType(), result));
    return success();
  }
};

} // namespace

void moec::lowering::populateExpertsToGPUPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpertFFNToGPU, SwiGLUToGPU>(patterns.getContext());
}
