//===- RoutingToGPU.cpp - router scores, top-k and dispatch as kernels ----===//
//
// Routing stays on the device, so a layer makes no host round trip: router
// logits a thread per (token, expert), scores and top-k a thread per token,
// and the dispatch's stable counting sort in one thread (T*k steps, small
// next to the expert products; a parallel sort is future work).
//
//===----------------------------------------------------------------------===//
#include "Launch.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/RoutingLoops.h"

#include "mlir/Transforms/DialectConversion.h"

#include <tuple>

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

struct RouterScoresToGPU : OpConversionPattern<RouterScoresOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RouterScoresOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t experts = op.getWeight().getType().getDimSize(0);
    if (ShapedType::isDynamic(experts))
      return rewriter.notifyMatchFailure(op, "needs a static E");
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX());
    Value w = e.buffer(adaptor.getWeight());
    Value tokens = e.dim(x, 0), hidden = e.dim(x, 1);
    Value scores = e.alloc(op.getType(), tokens);
    Value expertCount = e.index(experts);
    launchPerCell(e, "router_logits", tokens, expertCount,
                  [&](Emitter &e, Value t, Value x0) {
                    Value zero = e.index(0), acc = e.f32(0.0);
                    Value logit =
                        e.loop(zero, hidden, {acc},
                               [&](Emitter &e, Value h,
                                   ValueRange sum) -> SmallVector<Value> {
                                 Value a = e.load(x, {t, h});
                                 Value b = e.toF32(e.load(w, {x0, h}));
                                 return {e.add(sum[0], e.mul(a, b))};
                               })[0];
                    e.store(logit, scores, {t, x0});
                  });
    const bool sigmoid = op.getScoring() == ScoringFunc::sigmoid;
    launchPerItem(e, sigmoid ? "router_sigmoid" : "router_softmax", tokens,
                  [&](Emitter &e, Value t) {
                    emitScoreNormalization(e, scores, t, experts, sigmoid);
                  });
    rewriter.replaceOp(op, e.tensor(op.getType(), scores));
    return success();
  }
};

struct TopKToGPU : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    const bool noaux = op.getMethod() == TopkMethod::noaux_tc;
    Value scores = e.buffer(adaptor.getScores());
    Value bias = noaux ? e.buffer(adaptor.getBias()) : Value();
    Value tokens = e.dim(adaptor.getScores(), 0);
    Value weights = e.alloc(op.getWeights().getType(), tokens);
    Value indices = e.alloc(op.getIndices().getType(), tokens);
    launchPerItem(e, "topk", tokens, [&](Emitter &e, Value t) {
      TopKScratch scratch = allocTopKScratch(e, op);
      emitTopKForToken(e, op, scores, bias, weights, indices, scratch, t);
    });
    rewriter.replaceOp(op, {e.tensor(op.getWeights().getType(), weights),
                            e.tensor(op.getIndices().getType(), indices)});
    return success();
  }
};

struct AppendSharedExpertsToGPU : OpConversionPattern<AppendSharedExpertsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AppendSharedExpertsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    const int64_t k = op.getWeights().getType().getDimSize(1);
    const int64_t all = op.getResultWeights().getType().getDimSize(1);
    const int64_t first = op.getFirstExpert();
    Value weights = e.buffer(adaptor.getWeights());
    Value indices = e.buffer(adaptor.getIndices());
    Value tokens = e.dim(weights, 0);
    Value newWeights = e.alloc(op.getResultWeights().getType(), tokens);
    Value newIndices = e.alloc(op.getResultIndices().getType(), tokens);
    launchPerItem(e, "append_shared_experts", tokens, [&](Emitter &e, Value t) {
      e.loop(0, k, [&](Emitter &e, Value j) {
        e.store(e.load(weights, {t, j}), newWeights, {t, j});
        e.store(e.load(indices, {t, j}), newIndices, {t, j});
      });
      for (int64_t s = 0; s < all - k; ++s) {
        Value slot = e.index(k + s);
        e.store(e.f32(1.0), newWeights, {t, slot});
        e.store(e.i32(first + s), newIndices, {t, slot});
      }
    });
    rewriter.replaceOp(op,
                       {e.tensor(op.getResultWeights().getType(), newWeights),
                        e.tensor(op.getResultIndices().getType(), newIndices)});
    return success();
  }
};

struct DispatchToGPU : OpConversionPattern<DispatchOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DispatchOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    const int64_t experts = op.getNumExperts();
    const int64_t k = op.getIndices().getType().getDimSize(1);
    Value indices = e.buffer(adaptor.getIndices());
    Value tokens = e.dim(adaptor.getIndices(), 0);
    Value offsets, perm;
    std::tie(offsets, perm) = allocDispatchResults(e, op, tokens);
    launchSingle(e, "dispatch", [&](Emitter &e) {
      Value cursor = memref::AllocaOp::create(
          e.b, e.loc, MemRefType::get({experts}, e.b.getI32Type()));
      emitDispatchLoops(e, experts, k, indices, tokens, offsets, perm, cursor);
    });
    rewriter.replaceOp(op, {e.tensor(op.getOffsets().getType(), offsets),
                            e.tensor(op.getPermutation().getType(), perm)});
    return success();
  }
};

} // namespace

void moec::lowering::populateRoutingToGPUPatterns(RewritePatternSet &patterns) {
  patterns.add<RouterScoresToGPU, TopKToGPU, AppendSharedExpertsToGPU,
               DispatchToGPU>(patterns.getContext());
}
