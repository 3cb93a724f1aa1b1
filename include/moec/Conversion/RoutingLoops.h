//===- RoutingLoops.h - top-k and dispatch as scalar loops -----*- C++ -*-===//
//
// The algorithms of moe.topk and moe.dispatch as scalar loop nests over
// buffers, shared by the CPU lowering (a loop over tokens) and the GPU
// lowering (a thread per token; the dispatch in one thread).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_CONVERSION_ROUTINGLOOPS_H
#define MOEC_CONVERSION_ROUTINGLOOPS_H

#include "MoE/MoEOps.h"
#include "moec/Conversion/Emitter.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

namespace moec::lowering {

/// The private scratch arrays one token's top-k needs (memref.alloca, so
/// that on a GPU each thread has its own).
struct TopKScratch {
  mlir::Value choice, taken, groupScore, groupKept;
};

/// Allocates the scratch of `op` at the emitter's insertion point.
TopKScratch allocTopKScratch(Emitter &e, mlir::moe::TopKOp op);

/// Selects token `t`'s k experts from `scores` [T, E] (plus `bias` [E] for
/// noaux_tc) into row t of `weights` [T, k] and `indices` [T, k], as
/// moe.topk describes.
void emitTopKForToken(Emitter &e, mlir::moe::TopKOp op, mlir::Value scores,
                      mlir::Value bias, mlir::Value weights,
                      mlir::Value indices, const TopKScratch &scratch,
                      mlir::Value t);

/// The buffers of a moe.topk lowering: its operands (`bias` only for
/// noaux_tc), the token count T, and new buffers for its results.
struct TopKBuffers {
  mlir::Value scores, bias, tokens, weights, indices;
};
TopKBuffers prepareTopK(Emitter &e, mlir::moe::TopKOp op, mlir::Value scores,
                        mlir::Value bias);

/// The buffers of a moe.dispatch lowering: the indices [T, k], T, and new
/// buffers for the offsets [E + 1] and the permutation [T * k].
struct DispatchBuffers {
  mlir::Value indices, tokens, offsets, permutation;
};
DispatchBuffers prepareDispatch(Emitter &e, mlir::moe::DispatchOp op,
                                mlir::Value indices);

/// The stable counting sort of moe.dispatch: the T*k pairs of `indices`
/// [T, k] (T = `tokens`) grouped by expert into `offsets` [E + 1] and
/// `permutation` [T * k]. `cursor` is scratch of E i32.
void emitDispatchLoops(Emitter &e, int64_t experts, int64_t k,
                       mlir::Value indices, mlir::Value tokens,
                       mlir::Value offsets, mlir::Value permutation,
                       mlir::Value cursor);

/// scores[t, :] = softmax (shifted by the row maximum) or sigmoid of the
/// `experts` logits in logits[t, :]; `scores` may be `logits` itself.
inline void emitScoreNormalization(Emitter &e, mlir::Value logits,
                                   mlir::Value scores, mlir::Value t,
                                   int64_t experts, bool sigmoid) {
  using mlir::Value;
  using mlir::ValueRange;
  Value zero = e.index(0), end = e.index(experts);
  auto exp = [&](Emitter &e, Value v) {
    return mlir::math::ExpOp::create(e.b, e.loc, v).getResult();
  };
  if (sigmoid) {
    e.loop(zero, end, [&](Emitter &e, Value x) {
      Value neg =
          mlir::arith::NegFOp::create(e.b, e.loc, e.load(logits, {t, x}));
      Value expNeg = exp(e, neg);
      Value one = e.f32(1.0);
      Value s = e.div(one, e.add(one, expNeg));
      e.store(s, scores, {t, x});
    });
    return;
  }
  Value max = e.loop(
      zero, end, {e.f32(-INFINITY)},
      [&](Emitter &e, Value x, ValueRange acc) -> llvm::SmallVector<Value> {
        return {mlir::arith::MaximumFOp::create(e.b, e.loc, acc[0],
                                                e.load(logits, {t, x}))};
      })[0];
  Value sum = e.loop(
      zero, end, {e.f32(0.0)},
      [&](Emitter &e, Value x, ValueRange acc) -> llvm::SmallVector<Value> {
        Value shifted = mlir::arith::SubFOp::create(
            e.b, e.loc, e.load(logits, {t, x}), max);
        Value v = exp(e, shifted);
        e.store(v, scores, {t, x});
        return {e.add(acc[0], v)};
      })[0];
  e.loop(zero, end, [&](Emitter &e, Value x) {
    e.store(e.div(e.load(scores, {t, x}), sum), scores, {t, x});
  });
}

} // namespace moec::lowering

#endif // MOEC_CONVERSION_ROUTINGLOOPS_H
