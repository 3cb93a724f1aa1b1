//===- RoutingToLoops.cpp - moe.topk and moe.dispatch to loops ------------===//
//
// Top-k selection and the counting sort of the dispatch are data-dependent
// and tiny next to the expert matmuls (T*E and T*k scalar steps), so they
// lower to scalar loop nests over buffers. Their results are handed back to
// the tensor world with `bufferization.to_tensor restrict`.
//
//===----------------------------------------------------------------------===//
#include "moec/Conversion/MoEToLinalg.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/Emitter.h"
#include "moec/Conversion/RoutingLoops.h"

#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

using arith::CmpFPredicate;
using arith::CmpIPredicate;

/// Returns the position of the largest `value(i)` among i in [0, n) with
/// `!taken[i]`; ties and NaNs keep the lower position, and at least one
/// position must be free.
Value argmaxFree(Emitter &e, int64_t n, Value taken,
                 function_ref<Value(Emitter &, Value)> value) {
  Value none = e.index(n);
  Value begin = e.index(0), end = e.index(n), noScore = e.f32(0.0);
  ValueRange best =
      e.loop(begin, end, {none, noScore},
             [&](Emitter &e, Value i, ValueRange acc) -> SmallVector<Value> {
               Value v = value(e, i);
               Value free = e.notI1(e.load(taken, i));
               Value first = e.cmpi(CmpIPredicate::eq, acc[0], none);
               Value better = e.cmpf(CmpFPredicate::OGT, v, acc[1]);
               Value pick = e.andi(free, e.ori(first, better));
               return {e.select(pick, i, acc[0]), e.select(pick, v, acc[1])};
             });
  return best[0];
}

/// Scores each group (group_limited_greedy: its best choice; noaux_tc: the
/// sum of its two best), keeps the `keepGroups` best groups and masks the
/// experts of the others (0, or -inf for noaux_tc).
void restrictToBestGroups(Emitter &e, TopkMethod method, int64_t nGroup,
                          int64_t keepGroups, int64_t groupSize, Value choice,
                          Value groupScore, Value groupKept) {
  const bool noaux = method == TopkMethod::noaux_tc;
  const float negInf = -std::numeric_limits<float>::infinity();
  e.loop(0, nGroup, [&](Emitter &e, Value g) {
    Value base = e.mul(g, e.index(groupSize));
    Value begin = e.index(0), end = e.index(groupSize);
    Value best = e.f32(negInf), secondBest = e.f32(negInf);
    ValueRange top =
        e.loop(begin, end, {best, secondBest},
               [&](Emitter &e, Value i, ValueRange acc) -> SmallVector<Value> {
                 Value v = e.load(choice, e.add(base, i));
                 Value aboveFirst = e.cmpf(CmpFPredicate::OGT, v, acc[0]);
                 Value aboveSecond = e.cmpf(CmpFPredicate::OGT, v, acc[1]);
                 Value second = e.select(aboveFirst, acc[0],
                                         e.select(aboveSecond, v, acc[1]));
                 return {e.select(aboveFirst, v, acc[0]), second};
               });
    e.store(noaux ? e.add(top[0], top[1]) : top[0], groupScore, g);
    e.store(e.boolean(false), groupKept, g);
  });
  e.loop(0, keepGroups, [&](Emitter &e, Value) {
    Value best = argmaxFree(e, nGroup, groupKept, [&](Emitter &e, Value g) {
      return e.load(groupScore, g);
    });
    e.store(e.boolean(true), groupKept, best);
  });
  Value masked = e.f32(noaux ? negInf : 0.0);
  e.loop(0, nGroup * groupSize, [&](Emitter &e, Value x) {
    Value kept = e.load(groupKept, e.div(x, e.index(groupSize)));
    e.when(e.notI1(kept), [&](Emitter &e) { e.store(masked, choice, x); });
  });
}

bool isGrouped(TopKOp op) {
  return op.getMethod() != TopkMethod::greedy &&
         op.getTopkGroup() < op.getNGroup();
}

} // namespace

moec::lowering::TopKScratch moec::lowering::allocTopKScratch(Emitter &e,
                                                             TopKOp op) {
  const int64_t experts = op.getScores().getType().getDimSize(1);
  const int64_t nGroup = op.getNGroup();
  auto scratch = [&](int64_t n, Type t) {
    return memref::AllocaOp::create(e.b, e.loc, MemRefType::get({n}, t))
        .getResult();
  };
  Type f32 = e.b.getF32Type(), i1 = e.b.getI1Type();
  TopKScratch s;
  s.choice = scratch(experts, f32);
  s.taken = scratch(experts, i1);
  if (isGrouped(op)) {
    s.groupScore = scratch(nGroup, f32);
    s.groupKept = scratch(nGroup, i1);
  }
  return s;
}

void moec::lowering::emitTopKForToken(Emitter &e, TopKOp op, Value scores,
                                      Value bias, Value weights, Value indices,
                                      const TopKScratch &scratch, Value t) {
  const int64_t experts = op.getScores().getType().getDimSize(1);
  const int64_t k = op.getTopK();
  const int64_t nGroup = op.getNGroup(), keepGroups = op.getTopkGroup();
  const int64_t groupSize = experts / nGroup;
  const TopkMethod method = op.getMethod();
  const bool noaux = method == TopkMethod::noaux_tc;
  const bool normalize = op.getNormTopkProb() && k > 1;
  const double scale = op.getRoutedScalingFactor().convertToDouble();
  const bool applyScale = scale != 1.0 && (noaux || !normalize);
  Value choice = scratch.choice, taken = scratch.taken;

  // choice = scores (+ bias for noaux_tc); nothing taken yet.
  e.loop(0, experts, [&](Emitter &e, Value x) {
    Value s = e.load(scores, {t, x});
    e.store(noaux ? e.add(s, e.toF32(e.load(bias, x))) : s, choice, x);
    e.store(e.boolean(false), taken, x);
  });
  if (isGrouped(op))
    restrictToBestGroups(e, method, nGroup, keepGroups, groupSize, choice,
                         scratch.groupScore, scratch.groupKept);
  // Take the k best experts.
  e.loop(0, k, [&](Emitter &e, Value) {
    Value best = argmaxFree(e, experts, taken, [&](Emitter &e, Value x) {
      return e.load(choice, x);
    });
    e.store(e.boolean(true), taken, best);
  });
  // List them in ascending expert order. Weights are the unbiased scores
  // (group_limited_greedy: the masked scores, 0 outside kept groups).
  Value begin = e.index(0), end = e.index(experts), firstSlot = e.index(0);
  e.loop(begin, end, {firstSlot},
         [&](Emitter &e, Value x, ValueRange slot) -> SmallVector<Value> {
           Value isTaken = e.load(taken, x);
           e.when(isTaken, [&](Emitter &e) {
             Value w = noaux ? e.load(scores, {t, x}) : e.load(choice, x);
             e.store(w, weights, {t, slot[0]});
             e.store(e.toI32(x), indices, {t, slot[0]});
           });
           Value next = e.add(slot[0], e.index(1));
           return {e.select(isTaken, next, slot[0])};
         });
  if (normalize) {
    Value first = e.index(0), last = e.index(k), zero = e.f32(0.0);
    Value sum =
        e.loop(first, last, {zero},
               [&](Emitter &e, Value j, ValueRange acc) -> SmallVector<Value> {
                 return {e.add(acc[0], e.load(weights, {t, j}))};
               })[0];
    Value denom = e.add(sum, e.f32(1e-20));
    e.loop(0, k, [&](Emitter &e, Value j) {
      e.store(e.div(e.load(weights, {t, j}), denom), weights, {t, j});
    });
  }
  if (applyScale) {
    e.loop(0, k, [&](Emitter &e, Value j) {
      Value w = e.load(weights, {t, j});
      e.store(e.mul(w, e.f32(scale)), weights, {t, j});
    });
  }
}

TopKBuffers moec::lowering::prepareTopK(Emitter &e, TopKOp op, Value scores,
                                        Value bias) {
  TopKBuffers b;
  b.scores = e.buffer(scores);
  if (op.getMethod() == TopkMethod::noaux_tc)
    b.bias = e.buffer(bias);
  b.tokens = e.dim(scores, 0);
  b.weights = e.alloc(op.getWeights().getType(), b.tokens);
  b.indices = e.alloc(op.getIndices().getType(), b.tokens);
  return b;
}

DispatchBuffers moec::lowering::prepareDispatch(Emitter &e, DispatchOp op,
                                                Value indices) {
  const int64_t k = op.getIndices().getType().getDimSize(1);
  DispatchBuffers b;
  b.indices = e.buffer(indices);
  b.tokens = e.dim(indices, 0);
  b.offsets = e.alloc(op.getOffsets().getType(), {});
  SmallVector<Value> permSizes;
  if (op.getPermutation().getType().isDynamicDim(0))
    permSizes.push_back(e.mul(b.tokens, e.index(k)));
  b.permutation = e.alloc(op.getPermutation().getType(), permSizes);
  return b;
}

void moec::lowering::emitDispatchLoops(Emitter &e, int64_t experts, int64_t k,
                                       Value indices, Value tokens,
                                       Value offsets, Value perm,
                                       Value cursor) {
  // Histogram into offsets[e + 1], then an inclusive prefix sum.
  e.loop(0, experts + 1,
         [&](Emitter &e, Value x) { e.store(e.i32(0), offsets, x); });
  auto forEachPair = [&](function_ref<void(Emitter &, Value, Value)> body) {
    e.loop(e.index(0), tokens, [&](Emitter &e, Value t) {
      e.loop(0, k, [&](Emitter &e, Value j) {
        Value pair = e.add(e.mul(t, e.index(k)), j);
        body(e, pair, e.toIndex(e.load(indices, {t, j})));
      });
    });
  };
  forEachPair([&](Emitter &e, Value, Value x) {
    Value slot = e.add(x, e.index(1));
    Value count = e.load(offsets, slot);
    e.store(e.add(count, e.i32(1)), offsets, slot);
  });
  e.loop(0, experts, [&](Emitter &e, Value x) {
    Value next = e.add(x, e.index(1));
    Value after = e.load(offsets, next);
    Value before = e.load(offsets, x);
    e.store(e.add(after, before), offsets, next);
    e.store(e.load(offsets, x), cursor, x);
  });
  // Stable scatter: pairs keep their flattened order within an expert.
  forEachPair([&](Emitter &e, Value pair, Value x) {
    Value row = e.load(cursor, x);
    Value pairId = e.toI32(pair);
    e.store(pairId, perm, e.toIndex(row));
    e.store(e.add(row, e.i32(1)), cursor, x);
  });
}

namespace {

struct TopKToLoops : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    TopKBuffers b = prepareTopK(e, op, adaptor.getScores(), adaptor.getBias());
    TopKScratch scratch = allocTopKScratch(e, op);
    e.loop(e.index(0), b.tokens, [&](Emitter &e, Value t) {
      emitTopKForToken(e, op, b.scores, b.bias, b.weights, b.indices, scratch,
                       t);
    });
    rewriter.replaceOp(op, {e.tensor(op.getWeights().getType(), b.weights),
                            e.tensor(op.getIndices().getType(), b.indices)});
    return success();
  }
};

struct DispatchToLoops : OpConversionPattern<DispatchOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DispatchOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    const int64_t experts = op.getNumExperts();
    const int64_t k = op.getIndices().getType().getDimSize(1);
    DispatchBuffers b = prepareDispatch(e, op, adaptor.getIndices());
    Value cursor = memref::AllocaOp::create(
        rewriter, op.getLoc(),
        MemRefType::get({experts}, rewriter.getI32Type()));
    emitDispatchLoops(e, experts, k, b.indices, b.tokens, b.offsets,
                      b.permutation, cursor);
    rewriter.replaceOp(
        op, {e.tensor(op.getOffsets().getType(), b.offsets),
             e.tensor(op.getPermutation().getType(), b.permutation)});
    return success();
  }
};

} // namespace

void moec::populateRoutingToLoopsPatterns(RewritePatternSet &patterns) {
  patterns.add<TopKToLoops, DispatchToLoops>(patterns.getContext());
}
