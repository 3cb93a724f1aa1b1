//===- RoutingToGPU.cpp - router scores, top-k and dispatch as kernels ----===//
//
// Routing stays on the device, so a layer makes no host round trip: router
// logits a warp per four experts of a token (WarpDots.h); scores, top-k and
// the shared experts' slots a thread per token, in one kernel where the
// ops' results have no other reader; and the dispatch's stable counting
// sort over chunks of pairs.
//
//===----------------------------------------------------------------------===//
#include "Launch.h"
#include "Patterns.h"
#include "WarpDots.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/RoutingLoops.h"

#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::moe;
using namespace moec::lowering;

namespace {

struct RouterScoresToGPU : OpConversionPattern<RouterScoresOp> {
  RouterScoresToGPU(MLIRContext *ctx, const RoutingFusion &fusion)
      : OpConversionPattern(ctx), fusion(fusion) {}
  LogicalResult
  matchAndRewrite(RouterScoresOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t experts = op.getWeight().getType().getDimSize(0),
                  hidden = op.getWeight().getType().getDimSize(1);
    if (ShapedType::isDynamic(experts) || ShapedType::isDynamic(hidden))
      return rewriter.notifyMatchFailure(op, "needs static E and H");
    Emitter e{rewriter, op.getLoc()};
    Value x = e.buffer(adaptor.getX());
    Value w = e.buffer(adaptor.getWeight(), /*unitInnerStride=*/true);
    Value tokens = e.dim(x, 0);
    Value scores = e.alloc(op.getType(), tokens);
    // The logits as the projections' warp form, so that a decode step's
    // few tokens still read the router's rows coalesced and in parallel.
    emitWarpProducts(e, "router_logits", x, scores, /*residual=*/Value(),
                     /*heads=*/1, experts, hidden,
                     [&](Emitter &e, Value, Value n, Value h) {
                       return loadVector(e, w, {n, h}, vectorWidth(hidden));
                     });
    const bool sigmoid = op.getScoring() == ScoringFunc::sigmoid;
    if (!fusion.leavesNormalization(op))
      launchPerItem(e, sigmoid ? "router_sigmoid" : "router_softmax", tokens,
                    [&](Emitter &e, Value t) {
                      emitScoreNormalization(e, scores, scores, t, experts,
                                             sigmoid);
                    });
    rewriter.replaceOp(op, e.tensor(op.getType(), scores));
    return success();
  }

  const RoutingFusion &fusion;
};

/// Token t's row of `weights` and `indices` [T, k], then the shared
/// experts' slots: expert first + s with weight 1, into `allWeights` and
/// `allIndices` [T, k + S].
void emitAppendSharedForToken(Emitter &e, AppendSharedExpertsOp op,
                              Value weights, Value indices, Value allWeights,
                              Value allIndices, Value t) {
  const int64_t k = op.getWeights().getType().getDimSize(1);
  const int64_t all = op.getResultWeights().getType().getDimSize(1);
  const int64_t first = op.getFirstExpert();
  e.loop(0, k, [&](Emitter &e, Value j) {
    e.store(e.load(weights, {t, j}), allWeights, {t, j});
    e.store(e.load(indices, {t, j}), allIndices, {t, j});
  });
  for (int64_t s = 0; s < all - k; ++s) {
    Value slot = e.index(k + s);
    e.store(e.f32(1.0), allWeights, {t, slot});
    e.store(e.i32(first + s), allIndices, {t, slot});
  }
}

/// moe.topk a thread per token, which also normalizes the router scores
/// and appends the shared experts where `fusion` gives it those steps.
struct TopKToGPU : OpConversionPattern<TopKOp> {
  TopKToGPU(MLIRContext *ctx, const RoutingFusion &fusion)
      : OpConversionPattern(ctx), fusion(fusion) {}
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    TopKBuffers b = prepareTopK(e, op, adaptor.getScores(), adaptor.getBias());
    auto router = cast_if_present<RouterScoresOp>(fusion.normalizes.lookup(op));
    auto append =
        cast_if_present<AppendSharedExpertsOp>(fusion.appends.lookup(op));
    Value logits = b.scores;
    if (router)
      b.scores = e.alloc(op.getScores().getType(), b.tokens);
    Value allWeights, allIndices;
    if (append) {
      allWeights = e.alloc(append.getResultWeights().getType(), b.tokens);
      allIndices = e.alloc(append.getResultIndices().getType(), b.tokens);
    }
    const char *name = router || append ? "route" : "topk";
    launchPerItem(e, name, b.tokens, [&](Emitter &e, Value t) {
      if (router) {
        const int64_t experts = op.getScores().getType().getDimSize(1);
        const bool sigmoid = router.getScoring() == ScoringFunc::sigmoid;
        emitScoreNormalization(e, logits, b.scores, t, experts, sigmoid);
      }
      TopKScratch scratch = allocTopKScratch(e, op);
      emitTopKForToken(e, op, b.scores, b.bias, b.weights, b.indices, scratch,
                       t);
      if (append)
        emitAppendSharedForToken(e, append, b.weights, b.indices, allWeights,
                                 allIndices, t);
    });
    rewriter.replaceOp(op, {e.tensor(op.getWeights().getType(), b.weights),
                            e.tensor(op.getIndices().getType(), b.indices)});
    if (append)
      rewriter.replaceOp(
          append, {e.tensor(append.getResultWeights().getType(), allWeights),
                   e.tensor(append.getResultIndices().getType(), allIndices)});
    return success();
  }

  const RoutingFusion &fusion;
};

struct AppendSharedExpertsToGPU : OpConversionPattern<AppendSharedExpertsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AppendSharedExpertsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    Value weights = e.buffer(adaptor.getWeights());
    Value indices = e.buffer(adaptor.getIndices());
    Value tokens = e.dim(weights, 0);
    Value allWeights = e.alloc(op.getResultWeights().getType(), tokens);
    Value allIndices = e.alloc(op.getResultIndices().getType(), tokens);
    launchPerItem(e, "append_shared_experts", tokens, [&](Emitter &e, Value t) {
      emitAppendSharedForToken(e, op, weights, indices, allWeights, allIndices,
                               t);
    });
    rewriter.replaceOp(op,
                       {e.tensor(op.getResultWeights().getType(), allWeights),
                        e.tensor(op.getResultIndices().getType(), allIndices)});
    return success();
  }
};

/// The stable counting sort of moe.dispatch in three kernels, over chunks
/// of kDispatchChunk consecutive (token, slot) pairs: count each expert's
/// pairs per chunk (a thread per (chunk, expert)); in one block, turn the
/// counts into each chunk's start within its expert and the experts'
/// totals (a thread per expert, chunks in order), then, past a barrier,
/// sum the totals before each expert into its offset; place each chunk's
/// pairs of each expert in order (a thread per (chunk, expert)). Pairs
/// keep their order within an expert, every thread writes its own places,
/// and no step is longer than a chunk, the chunks or E.
struct DispatchToGPU : OpConversionPattern<DispatchOp> {
  static constexpr int64_t kDispatchChunk = 256;

  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DispatchOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    const int64_t experts = op.getNumExperts();
    const int64_t k = op.getIndices().getType().getDimSize(1);
    DispatchBuffers b = prepareDispatch(e, op, adaptor.getIndices());
    Value indices = b.indices, tokens = b.tokens, offsets = b.offsets,
          perm = b.permutation;
    Value pairs = e.mul(tokens, e.index(k));
    Value roundedUp = e.add(pairs, e.index(kDispatchChunk - 1));
    Value chunks = e.div(roundedUp, e.index(kDispatchChunk));
    auto countsType = RankedTensorType::get({ShapedType::kDynamic, experts},
                                            rewriter.getI32Type());
    // counts[c, x]: expert x's pairs in chunk c, then where they start.
    Value counts = e.alloc(countsType, chunks);
    Value expertCount = e.index(experts);

    // The pairs of chunk c in order, with whether each goes to expert x.
    auto forEachPairOf = [&](Emitter &e, Value c, Value x, ValueRange init,
                             function_ref<SmallVector<Value>(Emitter &, Value,
                                                             Value, ValueRange)>
                                 body) {
      Value lo = e.mul(c, e.index(kDispatchChunk));
      Value end = e.add(lo, e.index(kDispatchChunk));
      Value hi = e.minIndex(end, pairs);
      Value kV = e.index(k);
      Value xI32 = e.toI32(x);
      return e.loop(lo, hi, init, [&](Emitter &e, Value p, ValueRange acc) {
        Value t = e.div(p, kV);
        Value j = e.rem(p, kV);
        Value expert = e.load(indices, {t, j});
        Value mine = e.cmpi(arith::CmpIPredicate::eq, expert, xI32);
        return body(e, p, mine, acc);
      });
    };
    launchPerCell(e, "dispatch_count", chunks, expertCount,
                  [&](Emitter &e, Value c, Value x) {
                    Value zero = e.i32(0);
                    Value n = forEachPairOf(
                        e, c, x, {zero},
                        [&](Emitter &e, Value, Value mine,
                            ValueRange acc) -> SmallVector<Value> {
                          Value next = e.add(acc[0], e.i32(1));
                          return {e.select(mine, next, acc[0])};
                        })[0];
                    e.store(n, counts, {c, x});
                  });
    auto totalsType = RankedTensorType::get({experts}, rewriter.getI32Type());
    Value totals = e.alloc(totalsType, {});
    const int64_t threads = std::min<int64_t>(llvm::alignTo(experts, kWarpSize),
                                              kMaxThreadsPerBlock);
    launchBlock(e, "dispatch_offsets", threads, [&](Emitter &e, Value thread) {
      Value zeroIndex = e.index(0), zero = e.i32(0);
      e.loop(
          thread, expertCount,
          [&](Emitter &e, Value x) {
            Value total = e.loop(
                zeroIndex, chunks, {zero},
                [&](Emitter &e, Value c, ValueRange run) -> SmallVector<Value> {
                  Value n = e.load(counts, {c, x});
                  e.store(run[0], counts, {c, x});
                  return {e.add(run[0], n)};
                })[0];
            e.store(total, totals, x);
          },
          threads);
      blockBarrier(e);
      e.loop(
          thread, expertCount,
          [&](Emitter &e, Value x) {
            Value before = e.loop(
                zeroIndex, x, {zero},
                [&](Emitter &e, Value y, ValueRange run) -> SmallVector<Value> {
                  return {e.add(run[0], e.load(totals, y))};
                })[0];
            e.store(before, offsets, x);
            Value last = e.index(experts - 1);
            e.when(e.cmpi(arith::CmpIPredicate::eq, x, last), [&](Emitter &e) {
              Value all = e.add(before, e.load(totals, x));
              e.store(all, offsets, expertCount);
            });
          },
          threads);
    });
    launchPerCell(e, "dispatch_scatter", chunks, expertCount,
                  [&](Emitter &e, Value c, Value x) {
                    Value base = e.load(offsets, x);
                    Value start = e.add(base, e.load(counts, {c, x}));
                    forEachPairOf(e, c, x, {start},
                                  [&](Emitter &e, Value p, Value mine,
                                      ValueRange row) -> SmallVector<Value> {
                                    e.when(mine, [&](Emitter &e) {
                                      Value pairId = e.toI32(p);
                                      e.store(pairId, perm, e.toIndex(row[0]));
                                    });
                                    Value next = e.add(row[0], e.i32(1));
                                    return {e.select(mine, next, row[0])};
                                  });
                  });
    rewriter.replaceOp(op, {e.tensor(op.getOffsets().getType(), offsets),
                            e.tensor(op.getPermutation().getType(), perm)});
    return success();
  }
};

} // namespace

RoutingFusion moec::lowering::RoutingFusion::find(Operation *root) {
  RoutingFusion fusion;
  root->walk([&](TopKOp topk) {
    auto router = topk.getScores().getDefiningOp<RouterScoresOp>();
    if (router && router->hasOneUse())
      fusion.normalizes[topk] = router;
    Value weights = topk.getWeights(), indices = topk.getIndices();
    if (!weights.hasOneUse() || !indices.hasOneUse())
      return;
    auto append = dyn_cast<AppendSharedExpertsOp>(*weights.user_begin());
    if (append && append.getWeights() == weights &&
        append.getIndices() == indices)
      fusion.appends[topk] = append;
  });
  return fusion;
}

bool moec::lowering::RoutingFusion::leavesNormalization(
    Operation *routerScores) const {
  return llvm::any_of(normalizes, [&](const auto &entry) {
    return entry.second == routerScores;
  });
}

void moec::lowering::populateRoutingToGPUPatterns(RewritePatternSet &patterns,
                                                  const RoutingFusion &fusion) {
  patterns.add<RouterScoresToGPU, TopKToGPU>(patterns.getContext(), fusion);
  patterns.add<AppendSharedExpertsToGPU, DispatchToGPU>(patterns.getContext());
}
