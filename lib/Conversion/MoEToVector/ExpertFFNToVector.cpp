//===- ExpertFFNToVector.cpp - moe.expert_ffn as fused CPU kernels --------===//
//
// Lowers the fused expert op to three parallel phases (see the pass
// description in Passes.td). Where the weights come in panels
// (moe.unpack_weights), the matrix products are outer-product tiles of
// `rows` activation rows x `cols` panels (PanelTile.h). Otherwise they are
// dot products over the stored layout: every row of gate/up [I, H] and down
// [H, I] is contiguous along the contracted dimension, so a tile of `rows`
// activation rows x `cols` weight rows keeps rows*cols vector accumulators
// and reads each weight element once per tile.
//
//===----------------------------------------------------------------------===//
#include "moec/Conversion/MoEToVector.h"

#include "DotTile.h"
#include "MoE/MoEOps.h"
#include "PanelTile.h"
#include "Patterns.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::moe;
using moec::ExpertKernelTiling;
using namespace moec::lowering;

namespace {

/// Where the rows of expert g's weights live: routed experts in the stacked
/// [E, rows, cols] tensor, shared experts as column/row blocks of the shared
/// MLP.
struct ExpertWeights {
  int64_t routed, width;
  std::array<Value, 3> stacked; // gate [E, I, H], up [E, I, H], down [E, H, I]
  std::array<Value, 3> shared;  // gate [S*I, H], up [S*I, H], down [H, S*I]

  /// Row `r` of gate (0) or up (1) of expert g, contracted over H.
  Row gateUp(Emitter &e, int which, Value g, Value r, bool isShared) const {
    if (!isShared)
      return {stacked[which], {g, r}, Value()};
    Value sharedIndex = e.sub(g, e.index(routed));
    Value block = e.mul(sharedIndex, e.index(width));
    return {shared[which], {e.add(block, r)}, Value()};
  }
  /// Row `h` of down of expert g, contracted over I.
  Row down(Emitter &e, Value g, Value h, bool isShared) const {
    if (!isShared)
      return {stacked[2], {g, h}, Value()};
    Value sharedIndex = e.sub(g, e.index(routed));
    Value block = e.mul(sharedIndex, e.index(width));
    return {shared[2], {h}, block};
  }
};

/// The expert weights in panels: every weight operand of the op comes from
/// a moe.unpack_weights, all with one panel width, the routed ones stacked
/// and the shared ones one expert per matrix (gate and up one below the
/// other, down side by side).
struct ExpertPanels {
  std::array<Value, 3> routed, shared; // packed tensors: gate, up, down
  int64_t panel = 0;

  static std::optional<ExpertPanels> match(ExpertFFNOp op) {
    ExpertPanels result;
    auto take = [&](Value weight, int64_t matrices,
                    std::optional<int64_t> concat, Value &packed) {
      auto unpack = weight.getDefiningOp<UnpackWeightsOp>();
      if (!unpack || unpack.getNumMatrices() != matrices ||
          (concat ? unpack.getConcatDim() != static_cast<uint64_t>(*concat)
                  : cast<RankedTensorType>(unpack.getType()).getRank() != 3))
        return false;
      if (result.panel && unpack.getPanel() != result.panel)
        return false;
      result.panel = unpack.getPanel();
      packed = unpack.getPacked();
      return true;
    };
    const int64_t routed = op.getNumRoutedExperts();
    if (!take(op.getGateWeights(), routed, std::nullopt, result.routed[0]) ||
        !take(op.getUpWeights(), routed, std::nullopt, result.routed[1]) ||
        !take(op.getDownWeights(), routed, std::nullopt, result.routed[2]))
      return std::nullopt;
    if (const int64_t shared = op.getNumSharedExperts(); shared > 0)
      if (!take(op.getSharedGateWeight(), shared, 0, result.shared[0]) ||
          !take(op.getSharedUpWeight(), shared, 0, result.shared[1]) ||
          !take(op.getSharedDownWeight(), shared, 1, result.shared[2]))
        return std::nullopt;
    // Gate and up share their tiles' input steps: one Q (a stack of mixed
    // element types is F32, its partner may be BF16 pairs).
    auto kPack = [](Value packed) {
      return cast<RankedTensorType>(packed.getType()).getDimSize(4);
    };
    for (const std::array<Value, 3> &w : {result.routed, result.shared})
      if (w[0] && kPack(w[0]) != kPack(w[1]))
        return std::nullopt;
    return result;
  }
};

/// Register tiles of rows per row block of the panel kernels.
constexpr int64_t kRowTilesPerBlock = 8;

Value silu(Emitter &e, Value g) {
  Value neg = arith::NegFOp::create(e.b, e.loc, g);
  Value exp = math::ExpOp::create(e.b, e.loc, neg);
  Value one = e.f32(1.0);
  if (auto type = dyn_cast<VectorType>(g.getType()))
    one = vector::BroadcastOp::create(e.b, e.loc, type, one);
  Value denom = e.add(one, exp);
  return e.div(g, denom);
}

struct ExpertFFNToVector : OpConversionPattern<ExpertFFNOp> {
  ExpertFFNToVector(MLIRContext *ctx, const ExpertKernelTiling &tiling)
      : OpConversionPattern(ctx), tiling(tiling) {}

  LogicalResult
  matchAndRewrite(ExpertFFNOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const int64_t hidden = op.getX().getType().getDimSize(1);
    const int64_t width = op.getGateWeights().getType().getDimSize(1);
    if (ShapedType::isDynamic(hidden) || ShapedType::isDynamic(width))
      return rewriter.notifyMatchFailure(op, "needs static H and I");
    Kernel kernel(tiling, Emitter{rewriter, op.getLoc()});
    kernel.hidden = hidden;
    kernel.width = width;
    kernel.routed = op.getNumRoutedExperts();
    kernel.experts = kernel.routed + op.getNumSharedExperts();
    kernel.k = op.getTopK();
    Emitter &e = kernel.e;
    kernel.x = e.buffer(adaptor.getX(), true);
    kernel.perm = e.buffer(adaptor.getPermutation());
    kernel.offsets = e.buffer(adaptor.getOffsets());
    kernel.weights = e.buffer(adaptor.getWeights());
    Value tokens = e.dim(kernel.x, 0), pairs = e.dim(kernel.perm, 0);

    // Activations [T*k, I] and slot rows [T*k, H], padded to whole panels.
    std::optional<ExpertPanels> panels = ExpertPanels::match(op);
    const int64_t unit = panels ? panels->panel : 1;
    const int64_t actWidth = (width + unit - 1) / unit * unit;
    const int64_t slotWidth = (hidden + unit - 1) / unit * unit;
    Type f32 = rewriter.getF32Type();
    auto rows = [&](int64_t cols) {
      return RankedTensorType::get({ShapedType::kDynamic, cols}, f32);
    };
    kernel.act = e.alloc(rows(actWidth), pairs);
    kernel.slots = e.alloc(rows(slotWidth), pairs);
    Value out = e.alloc(op.getType(), tokens);
    if (panels) {
      kernel.gateUpOnPanels(*panels);
      kernel.downOnPanels(*panels);
    } else {
      ExpertWeights w{kernel.routed,
                      width,
                      {e.buffer(adaptor.getGateWeights(), true),
                       e.buffer(adaptor.getUpWeights(), true),
                       e.buffer(adaptor.getDownWeights(), true)},
                      {}};
      if (kernel.experts > kernel.routed)
        w.shared = {e.buffer(adaptor.getSharedGateWeight(), true),
                    e.buffer(adaptor.getSharedUpWeight(), true),
                    e.buffer(adaptor.getSharedDownWeight(), true)};
      kernel.gateUpOnRows(w);
      kernel.downOnRows(w);
    }
    kernel.combine(tokens, out);
    rewriter.replaceOp(op, e.tensor(op.getType(), out));
    return success();
  }

private:
  /// The three phases of one op: 1 gate/up + SwiGLU into `act`, 2 down into
  /// `slots`, 3 the sum of each token's slots.
  struct Kernel {
    Kernel(const ExpertKernelTiling &tiling, Emitter e)
        : tiling(tiling), e(e) {}
    const ExpertKernelTiling &tiling;
    Emitter e;
    int64_t hidden = 0, width = 0, routed = 0, experts = 0, k = 0;
    Value x, perm, offsets, weights, act, slots;

    /// Runs `body(g, block, lo, hi, isShared)` for every (expert g, block
    /// `block` of `blocks`) in parallel, rows [lo, hi) being g's segment.
    void perExpertBlock(
        int64_t blocks,
        function_ref<void(Emitter &, Value, Value, Value, Value, bool)> body) {
      // Items are block-major: the static schedule then splits every
      // expert's blocks evenly over the threads, whichever experts the
      // tokens chose (a decode step uses only k + S of them).
      parallelFor(e, e.index(experts * blocks), [&](Emitter &e, Value it) {
        Value g = e.rem(it, e.index(experts));
        Value block = e.div(it, e.index(experts));
        Value lo = e.toIndex(e.load(offsets, g));
        Value hi = e.toIndex(e.load(offsets, e.add(g, e.index(1))));
        if (experts == routed) {
          body(e, g, block, lo, hi, false);
          return;
        }
        Value isShared = e.cmpi(arith::CmpIPredicate::uge, g, e.index(routed));
        e.when(
            isShared, [&](Emitter &e) { body(e, g, block, lo, hi, true); },
            [&](Emitter &e) { body(e, g, block, lo, hi, false); });
      });
    }

    /// Splits rows [lo, hi) into blocks of kRowTilesPerBlock register tiles:
    /// a block's activations stay in the L2 cache while the item's panels
    /// pass over them (a shared expert gets every token).
    void forEachRowBlock(Emitter &e, Value lo, Value hi,
                         function_ref<void(Emitter &, Value, Value)> body) {
      const int64_t size = tiling.rows * kRowTilesPerBlock;
      e.loop(
          lo, hi,
          [&](Emitter &e, Value first) {
            Value blockEnd = e.add(first, e.index(size));
            Value last = e.minIndex(blockEnd, hi);
            body(e, first, last);
          },
          size);
    }

    /// The x rows of sorted rows `rowIds`, through the permutation.
    SmallVector<Row> tokenRows(Emitter &e, ArrayRef<Value> rowIds) {
      SmallVector<Row> as;
      for (Value r : rowIds) {
        Value pair = e.toIndex(e.load(perm, r));
        Value token = e.div(pair, e.index(k));
        as.push_back({x, {token}, Value()});
      }
      return as;
    }

    /// The routing weight of each sorted row, and the slot it fills.
    void slotsOf(Emitter &e, ArrayRef<Value> rowIds,
                 SmallVector<Value> &pairIds, SmallVector<Value> &scales) {
      for (Value r : rowIds) {
        Value pair = e.toIndex(e.load(perm, r));
        pairIds.push_back(pair);
        Value token = e.div(pair, e.index(k));
        Value slot = e.rem(pair, e.index(k));
        scales.push_back(e.load(weights, {token, slot}));
      }
    }

    /// The register tiles of one phase on panels: items (expert, block of
    /// `block` outputs of `outputs`), in each row blocks, then tiles of
    /// `cols` panels (the last may be narrower), then tiles of rows.
    /// `body(e, isShared, matrix, rowIds, firstPanel, cols)`.
    void panelTiles(int64_t outputs, int64_t panel, int64_t block, int64_t cols,
                    function_ref<void(Emitter &, bool, Value, ArrayRef<Value>,
                                      Value, int64_t)>
                        body) {
      const int64_t count = (outputs + panel - 1) / panel;
      const int64_t perBlock = std::max<int64_t>(1, block / panel);
      perExpertBlock((count + perBlock - 1) / perBlock, [&](Emitter &e, Value g,
                                                            Value item,
                                                            Value lo, Value hi,
                                                            bool isShared) {
        Value matrix = isShared ? e.sub(g, e.index(routed)) : g;
        forEachRowBlock(e, lo, hi, [&](Emitter &e, Value lo, Value hi) {
          forEachPanelTile(e, item, count, perBlock, cols,
                           [&](Emitter &e, Value first, int64_t n) {
                             forEachRowTile(
                                 e, lo, hi, tiling.rows,
                                 [&](Emitter &e, ArrayRef<Value> rowIds) {
                                   body(e, isShared, matrix, rowIds, first, n);
                                 });
                           });
        });
      });
    }

    /// Phase 1 on panels: act[r, n] = silu(x_r . gate_n) * (x_r . up_n),
    /// tiles of rows x gate-up-cols panels of gate and of up.
    void gateUpOnPanels(const ExpertPanels &w) {
      std::array<Panels, 2> routedP{panelsOf(e, w.routed[0], hidden),
                                    panelsOf(e, w.routed[1], hidden)};
      std::array<Panels, 2> sharedP;
      if (experts > routed)
        sharedP = {panelsOf(e, w.shared[0], hidden),
                   panelsOf(e, w.shared[1], hidden)};
      const int64_t p = w.panel;
      panelTiles(width, p, tiling.gateUpBlock, tiling.gateUpCols,
                 [&](Emitter &e, bool isShared, Value matrix,
                     ArrayRef<Value> rowIds, Value first, int64_t cols) {
                   const auto &mats = isShared ? sharedP : routedP;
                   SmallVector<Row> as = tokenRows(e, rowIds);
                   SmallVector<PanelRef> gates, ups;
                   for (int64_t c = 0; c < cols; ++c) {
                     Value index = e.add(first, e.index(c));
                     gates.push_back({&mats[0], matrix, index});
                     ups.push_back({&mats[1], matrix, index});
                   }
                   auto sums = panelTile(e, as, {gates, ups});
                   for (int64_t c = 0; c < cols; ++c) {
                     Value index = e.add(first, e.index(c));
                     Value column = e.mul(index, e.index(p));
                     for (size_t i = 0; i < rowIds.size(); ++i) {
                       Value gated = silu(e, sums[0][c][i]);
                       Value a = e.mul(gated, sums[1][c][i]);
                       vector::StoreOp::create(e.b, e.loc, a, act,
                                               ValueRange{rowIds[i], column});
                     }
                   }
                 });
    }

    /// Phase 2 on panels: slots[pair(r), h] = weight(pair(r)) *
    /// (act_r . down_h), tiles of rows x down-cols panels of H.
    void downOnPanels(const ExpertPanels &w) {
      Panels routedP = panelsOf(e, w.routed[2], width);
      Panels sharedP;
      if (experts > routed)
        sharedP = panelsOf(e, w.shared[2], width);
      const int64_t p = w.panel;
      panelTiles(hidden, p, tiling.downBlock, tiling.downCols,
                 [&](Emitter &e, bool isShared, Value matrix,
                     ArrayRef<Value> rowIds, Value first, int64_t cols) {
                   const Panels &mat = isShared ? sharedP : routedP;
                   SmallVector<Row> as;
                   for (Value r : rowIds)
                     as.push_back({act, {r}, Value()});
                   SmallVector<Value> pairIds, scales;
                   slotsOf(e, rowIds, pairIds, scales);
                   SmallVector<PanelRef> downs;
                   for (int64_t c = 0; c < cols; ++c) {
                     Value index = e.add(first, e.index(c));
                     downs.push_back({&mat, matrix, index});
                   }
                   auto sums = panelTile(e, as, {downs});
                   auto vecType = cast<VectorType>(sums[0][0][0].getType());
                   for (int64_t c = 0; c < cols; ++c) {
                     Value index = e.add(first, e.index(c));
                     Value column = e.mul(index, e.index(p));
                     for (size_t i = 0; i < rowIds.size(); ++i) {
                       Value scale = vector::BroadcastOp::create(
                           e.b, e.loc, vecType, scales[i]);
                       Value y = e.mul(sums[0][c][i], scale);
                       vector::StoreOp::create(e.b, e.loc, y, slots,
                                               ValueRange{pairIds[i], column});
                     }
                   }
                 });
    }

    /// The register tiles of one phase on the stored layout: items
    /// (expert, block of `blockSize` outputs of `outputs`), in each tiles
    /// of rows x `cols` weight rows (forEachTile).
    /// `body(e, g, isShared, rowIds, colIds, guarded)`.
    void storedTiles(int64_t outputs, int64_t blockSize, int64_t cols,
                     function_ref<void(Emitter &, Value, bool, ArrayRef<Value>,
                                       ArrayRef<Value>, TileGuard)>
                         body) {
      std::optional<int64_t> uniform;
      if (outputs % blockSize == 0)
        uniform = blockSize;
      perExpertBlock((outputs + blockSize - 1) / blockSize,
                     [&](Emitter &e, Value g, Value block, Value lo, Value hi,
                         bool isShared) {
                       Value begin = e.mul(block, e.index(blockSize));
                       Value blockEnd = e.add(begin, e.index(blockSize));
                       Value end = e.minIndex(blockEnd, e.index(outputs));
                       forEachTile(
                           e, lo, hi, begin, end, uniform, tiling.rows, cols,
                           [&](Emitter &e, ArrayRef<Value> rowIds,
                               ArrayRef<Value> colIds, TileGuard guarded) {
                             body(e, g, isShared, rowIds, colIds, guarded);
                           });
                     });
    }

    /// Phase 1 on the stored layout.
    void gateUpOnRows(const ExpertWeights &w) {
      storedTiles(
          width, tiling.gateUpBlock, tiling.gateUpCols,
          [&](Emitter &e, Value g, bool isShared, ArrayRef<Value> rowIds,
              ArrayRef<Value> colIds, TileGuard guarded) {
            SmallVector<Row> as = tokenRows(e, rowIds);
            SmallVector<Row> gates, ups;
            for (Value n : colIds) {
              gates.push_back(w.gateUp(e, 0, g, n, isShared));
              ups.push_back(w.gateUp(e, 1, g, n, isShared));
            }
            auto sums =
                dotTile(e, hidden, tiling.vectorWidth, as, {gates, ups});
            for (size_t c = 0; c < colIds.size(); ++c)
              for (size_t i = 0; i < rowIds.size(); ++i) {
                Value gated = silu(e, sums[0][c][i]);
                Value a = e.mul(gated, sums[1][c][i]);
                guarded(e, i, c, [&](Emitter &e) {
                  e.store(a, act, {rowIds[i], colIds[c]});
                });
              }
          });
    }

    /// Phase 2 on the stored layout.
    void downOnRows(const ExpertWeights &w) {
      storedTiles(
          hidden, tiling.downBlock, tiling.downCols,
          [&](Emitter &e, Value g, bool isShared, ArrayRef<Value> rowIds,
              ArrayRef<Value> colIds, TileGuard guarded) {
            SmallVector<Row> as;
            for (Value r : rowIds)
              as.push_back({act, {r}, Value()});
            SmallVector<Value> pairIds, scales;
            slotsOf(e, rowIds, pairIds, scales);
            SmallVector<Row> downs;
            for (Value h : colIds)
              downs.push_back(w.down(e, g, h, isShared));
            auto sums = dotTile(e, width, tiling.vectorWidth, as, {downs});
            for (size_t c = 0; c < colIds.size(); ++c)
              for (size_t i = 0; i < rowIds.size(); ++i) {
                Value y = e.mul(sums[0][c][i], scales[i]);
                guarded(e, i, c, [&](Emitter &e) {
                  e.store(y, slots, {pairIds[i], colIds[c]});
                });
              }
          });
    }

    /// Phase 3: out[t] = sum_j slots[t * k + j], in slot order.
    void combine(Value tokens, Value out) {
      const int64_t vl = tiling.vectorWidth;
      const int64_t vecEnd = hidden / vl * vl;
      parallelFor(e, tokens, [&](Emitter &e, Value t) {
        Value first = e.mul(t, e.index(k));
        auto sumSlots = [&](Emitter &e, Value h, int64_t lanes) {
          Value acc;
          for (int64_t j = 0; j < k; ++j) {
            Row slot{slots, {e.add(first, e.index(j))}, Value()};
            Value v = loadRow(e, slot, h, lanes);
            acc = acc ? e.add(acc, v) : v;
          }
          return acc;
        };
        e.loop(0, vecEnd, vl, [&](Emitter &e, Value h) {
          vector::StoreOp::create(e.b, e.loc, sumSlots(e, h, vl), out,
                                  ValueRange{t, h});
        });
        e.loop(vecEnd, hidden, [&](Emitter &e, Value h) {
          e.store(sumSlots(e, h, 0), out, {t, h});
        });
      });
    }
  };

  ExpertKernelTiling tiling;
};

} // namespace

void moec::lowering::populateExpertFFNToVectorPatterns(
    RewritePatternSet &patterns, const ExpertKernelTiling &tiling) {
  patterns.add<ExpertFFNToVector>(patterns.getContext(), tiling);
}
