//===- ExpertsToGPU.cpp - SwiGLU experts as gather/GEMM/combine kernels ---===//
//
// moe.expert_ffn becomes three kernels over the sorted rows r:
//
//   1. gate/up + SwiGLU: act[r, j] = silu(x[t] . gate_g[j]) * (x[t] . up_g[j])
//      with t = permutation[r] / k read through the permutation (no permuted
//      copy) and g the expert whose segment holds r;
//   2. down, weighted: slot[p, h] = weights[t, j] * (act[r] . down_g[h]) at
//      the row of its pair p = permutation[r] = t * k + j, so every thread
//      writes its own place;
//   3. combine: y[t, h] = sum_{j = 0..k-1} slot[t * k + j, h], in slot order,
//      plus the residual where the add after the block is folded in.
//
// The dot products of kernels 1 and 2 are weight-bound at decode sizes, so
// they are laid out for bandwidth: a warp computes kRowsPerWarp outputs of a
// row, its 32 lanes taking turns over 16-byte vectors of each weight row,
// so that a warp reads rows contiguously and every activation vector serves
// several rows; a butterfly of shuffles adds the lanes' partial sums. Sorted
// rows of one expert are neighbouring blocks, which run together, so an
// expert's weights come from HBM about once per launch.
//
// No float atomics: each output is written once, and sums run in a fixed
// order, so results do not vary from run to run. Weights are read as stored
// (PyTorch Linear layout, f32/f16/bf16) and widened to f32 in registers.
// moe.swiglu is the same kernels with one expert, the identity routing and
// no combine.
//
//===----------------------------------------------------------------------===//
#include "ExpertKernels.h"
#include "Launch.h"
#include "Patterns.h"
#include "WarpDots.h"

#include "MoE/MoEOps.h"
#include "moec/Conversion/RoPEValue.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"
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
  /// Added to the down product's outputs [T, H]: a linear's residual, or
  /// the residual add after a dense MLP (empty for routed experts, whose
  /// combine adds it).
  Value residual;
  /// A linear's RoPE epilogue (null: none): its outputs are heads whose
  /// rotate-half pairs turn by row t's position ropeStart + t, before the
  /// residual is added.
  RoPEAttr rope;
  Value ropeStart;
};

/// Where the outputs of a product's warps lie: `slots` per warp cell, in
/// order, or for a RoPE epilogue over heads of `headDim` values as pairs
/// (j, j + headDim / 2) of one head, the first value of each pair in the
/// cell's first half of slots and its partner in the same place of the
/// second half, so that the lane holding one value of a pair holds both.
struct OutputLayout {
  int64_t count = 0, headDim = 0;

  int64_t half() const { return headDim / 2; }
  /// Cells of `slots` outputs: every head's pairs start a new cell.
  int64_t cells(int64_t slots) const {
    if (!headDim)
      return llvm::divideCeil(count, slots);
    return count / headDim * llvm::divideCeil(half(), slots / 2);
  }

  /// Slot `inHalf` of the first or second half of cell `cell` (of `slots`):
  /// its output (clamped to a real one, so loads stay in bounds), whether
  /// it is real, and for RoPE its pair's index j within the head.
  struct Slot {
    Value output, real, pair;
  };
  Slot slot(Emitter &e, Value cell, int64_t slots, Value inHalf,
            bool secondHalf) const {
    if (!headDim) {
      Value first = e.mul(cell, e.index(slots));
      Value offset = e.add(inHalf, e.index(secondHalf ? slots / 2 : 0));
      Value output = e.add(first, offset);
      Value real = e.cmpi(arith::CmpIPredicate::ult, output, e.index(count));
      return {e.minIndex(output, e.index(count - 1)), real, Value()};
    }
    const int64_t pairs = slots / 2;
    Value perHead = e.index(llvm::divideCeil(half(), pairs));
    Value head = e.div(cell, perHead);
    Value firstPair = e.mul(e.rem(cell, perHead), e.index(pairs));
    Value j = e.add(firstPair, inHalf);
    Value real = e.cmpi(arith::CmpIPredicate::ult, j, e.index(half()));
    Value pair = e.minIndex(j, e.index(half() - 1));
    Value inHead = secondHalf ? e.add(pair, e.index(half())) : pair;
    Value output = e.add(e.mul(head, e.index(headDim)), inHead);
    return {output, real, pair};
  }
};

/// The layout of `ex`'s down product.
OutputLayout downLayout(const Experts &ex) {
  return {ex.hidden, ex.rope ? ex.rope.getHeadDim() : 0};
}

/// The down outputs (a, b) of token `t` after the RoPE epilogue, for the
/// pair j they are; unchanged without one.
std::pair<Value, Value> turnPair(Emitter &e, const Experts &ex, Value t,
                                 Value j, Value a, Value b) {
  if (!ex.rope)
    return {a, b};
  Value position = e.add(ex.ropeStart, t);
  auto freq = [&](Emitter &e, Value j) {
    return inverseFrequency(e, ex.rope, j);
  };
  return emitRoPEPair(e, j, position, ex.rope, freq, a, b);
}

/// routed(e) where expert g is a routed one, shared(e) where it is a shared
/// one: a branch on g only where the op has both kinds (a dense product has
/// only the shared kind).
SmallVector<Value>
byExpertKind(Emitter &e, const Experts &ex, Value g,
             function_ref<SmallVector<Value>(Emitter &)> routed,
             function_ref<SmallVector<Value>(Emitter &)> shared) {
  if (!ex.sharedDown)
    return routed(e);
  if (!ex.down)
    return shared(e);
  Value isRouted = e.cmpi(arith::CmpIPredicate::ult, g, e.index(ex.routed));
  return selectValues(e, isRouted, routed, shared);
}

/// Where shared expert g's block starts in the stacked shared matrices: its
/// first row of gate/up [S*I, H], its first column of down [H, S*I].
Value sharedOffset(Emitter &e, const Experts &ex, Value g) {
  Value s = e.sub(g, e.index(ex.routed));
  return e.mul(s, e.index(ex.width));
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

/// y times the routing weight of its pair t * k + j (y itself for a dense
/// product).
Value timesRoutingWeight(Emitter &e, const Experts &ex, Value pair, Value y) {
  if (!ex.weights)
    return y;
  Value k = e.index(ex.k);
  Value t = e.div(pair, k);
  Value slot = e.rem(pair, k);
  return e.mul(y, e.load(ex.weights, {t, slot}));
}

/// y plus the residual at (row, column), where the product has one.
Value plusResidual(Emitter &e, const Experts &ex, Value row, Value column,
                   Value y) {
  if (!ex.residual)
    return y;
  return e.add(y, e.load(ex.residual, {row, column}));
}

/// The residual add that `op`'s kernels can do as they store its result:
/// its result's only user, an add whose other operand (the residual) exists
/// before `op`. The block's output is then written once, already added.
arith::AddFOp foldableResidualAdd(Operation *op) {
  Value result = op->getResult(0);
  if (!result.hasOneUse())
    return {};
  auto add = dyn_cast<arith::AddFOp>(*result.user_begin());
  if (!add || add.getType() != result.getType())
    return {};
  Value residual = add.getLhs() == result ? add.getRhs() : add.getLhs();
  if (residual == result || !DominanceInfo().properlyDominates(residual, op))
    return {};
  return add;
}

/// The residual of `add` (null: none) as a buffer.
Value residualBuffer(Emitter &e, ConversionPatternRewriter &rewriter,
                     Operation *op, arith::AddFOp add) {
  if (!add)
    return {};
  Value result = op->getResult(0);
  Value residual = add.getLhs() == result ? add.getRhs() : add.getLhs();
  return e.buffer(rewriter.getRemappedValue(residual));
}

/// Replaces `op` by `result`, and `add` (where its kernels did the add)
/// too.
void replaceWithSum(ConversionPatternRewriter &rewriter, Operation *op,
                    arith::AddFOp add, Value result) {
  if (add)
    rewriter.replaceOp(add, result);
  rewriter.replaceOp(op, result);
}

/// The pair (t * k + j) of sorted row r.
Value pairOfRow(Emitter &e, const Experts &ex, Value row) {
  return ex.permutation ? e.toIndex(e.load(ex.permutation, row)) : row;
}

// Tensor-core tiles, for rows enough that experts see whole tiles of
// tokens. A warp computes kTileOutputs outputs (the weight rows, M of
// mma.sync m16n8k16) of kTileRows sorted rows of one expert: kSubTiles
// products of kFragmentRows rows (N) each, which share the weight
// fragments, so each weight element a warp loads serves kTileRows rows.
// It steps kTileDepth along the reduction. The sum over k does not depend
// on the order of k, so lane 4g + t takes the 8 contiguous elements
// [8t, 8t + 8) of each step (16-byte loads; a quad reads 64 contiguous
// bytes of a row) and presents them as its fragment elements of two
// products: physical 8t + 4p + 2h + e is logical k = 2t + 8h + e of
// product p, for weights (A) and activations (B) alike. Activations are
// f32: each is split into bf16 hi + lo (16 significant bits), two products
// each, so that results stay within ~1e-5 of f32. Tiles follow the expert
// segments: tile i is found by counting each expert's tiles; sub-tiles
// past the segment's end skip their products (a warp-uniform branch).

constexpr int64_t kTileOutputs = 16, kFragmentRows = 8, kSubTiles = 4,
                  kTileRows = kFragmentRows * kSubTiles, kTileDepth = 32;

/// Whether products with these weights (null: absent) over a reduction of
/// length `depth` run on tensor cores: bf16 weights and whole steps.
bool onTensorCores(std::initializer_list<Value> weights, int64_t depth) {
  if (depth % kTileDepth != 0)
    return false;
  return llvm::all_of(weights, [](Value w) {
    return !w || cast<MemRefType>(w.getType()).getElementType().isBF16();
  });
}

/// A warp's tile of sorted rows [first, first + kTileRows) within its
/// expert's segment, which ends at `end`.
struct RowTile {
  Value group, first, end;
  /// Whether the tile exists (the grid covers an upper bound of tiles);
  /// otherwise the others are row 0's, safe to load.
  Value real;
};

/// The experts' segments of sorted rows: offsets holds their bounds.
int64_t segmentsOf(const Experts &ex) { return ex.offsets ? ex.groups - 1 : 1; }

/// Whether the host runs the tile forms: once the experts' `rows` average
/// a product's kFragmentRows per expert.
Value tilesPay(Emitter &e, const Experts &ex, Value rows) {
  return e.cmpi(arith::CmpIPredicate::uge, rows,
                e.index(kFragmentRows * segmentsOf(ex)));
}

/// Upper bound of the row tiles over all experts: each segment's last tile
/// may be partial.
Value rowTileBound(Emitter &e, const Experts &ex, Value rows) {
  Value tiles = ceilDiv(e, rows, kTileRows);
  return ex.offsets ? e.add(tiles, e.index(segmentsOf(ex))) : tiles;
}

RowTile rowTileAt(Emitter &e, const Experts &ex, Value rows, Value tile) {
  if (!ex.offsets) {
    Value first = e.mul(tile, e.index(kTileRows));
    Value real = e.cmpi(arith::CmpIPredicate::ult, first, rows);
    Value zero = e.index(0);
    return {zero, e.select(real, first, zero), rows, real};
  }
  Value zero = e.index(0), one = e.index(1);
  Value segments = e.index(segmentsOf(ex));
  SmallVector<Value> init = {zero, zero, zero, one};
  ValueRange found =
      e.loop(zero, segments, init,
             [&](Emitter &e, Value g, ValueRange acc) -> SmallVector<Value> {
               Value counted = acc[0];
               Value start = e.toIndex(e.load(ex.offsets, g));
               Value stop = e.toIndex(e.load(ex.offsets, e.add(g, e.index(1))));
               Value tiles = ceilDiv(e, e.sub(stop, start), kTileRows);
               Value next = e.add(counted, tiles);
               Value inside =
                   e.andi(e.cmpi(arith::CmpIPredicate::ule, counted, tile),
                          e.cmpi(arith::CmpIPredicate::ult, tile, next));
               Value offset = e.mul(e.sub(tile, counted), e.index(kTileRows));
               return {next, e.select(inside, g, acc[1]),
                       e.select(inside, e.add(start, offset), acc[2]),
                       e.select(inside, stop, acc[3])};
             });
  Value real = e.cmpi(arith::CmpIPredicate::ult, tile, found[0]);
  return {found[1], found[2], found[3], real};
}

/// 8 bf16 at indices as vector<4 x i32>, the packed pairs of fragments.
Value loadPacked(Emitter &e, Value mem, ValueRange indices) {
  auto type = VectorType::get({8}, e.b.getBF16Type());
  Value v = vector::LoadOp::create(e.b, e.loc, type, mem, indices,
                                   /*nontemporal=*/false, llvm::Align(16));
  auto packed = VectorType::get({4}, e.b.getI32Type());
  return vector::BitCastOp::create(e.b, e.loc, packed, v);
}

/// 8 f32 of activations at indices, split into bf16 hi + lo, each packed as
/// vector<4 x i32>.
std::pair<Value, Value> loadSplit(Emitter &e, Value mem, ValueRange indices) {
  Value v = loadVector(e, mem, indices, 8);
  auto bf16 = VectorType::get({8}, e.b.getBF16Type());
  auto f32 = bf16.clone(e.b.getF32Type());
  auto packed = VectorType::get({4}, e.b.getI32Type());
  Value hi = arith::TruncFOp::create(e.b, e.loc, bf16, v);
  Value rest = arith::SubFOp::create(
      e.b, e.loc, v, arith::ExtFOp::create(e.b, e.loc, f32, hi));
  Value lo = arith::TruncFOp::create(e.b, e.loc, bf16, rest);
  return {vector::BitCastOp::create(e.b, e.loc, packed, hi),
          vector::BitCastOp::create(e.b, e.loc, packed, lo)};
}

Value packedAt(Emitter &e, Value packed, int64_t i) {
  return vector::ExtractOp::create(e.b, e.loc, packed, i);
}

/// acc += the step's products for weight rows `top` (rows g) and `bottom`
/// (rows g + 8) with activations hi + lo, as laid out above.
SmallVector<Value> stepProducts(Emitter &e, Value top, Value bottom, Value hi,
                                Value lo, ValueRange acc) {
  auto f32 = e.b.getF32Type();
  auto type =
      LLVM::LLVMStructType::getLiteral(e.b.getContext(), {f32, f32, f32, f32});
  SmallVector<Value> c(acc);
  for (int64_t p = 0; p < 2; ++p) {
    SmallVector<Value> a = {packedAt(e, top, 2 * p), packedAt(e, bottom, 2 * p),
                            packedAt(e, top, 2 * p + 1),
                            packedAt(e, bottom, 2 * p + 1)};
    for (Value activations : {hi, lo}) {
      SmallVector<Value> b = {packedAt(e, activations, 2 * p),
                              packedAt(e, activations, 2 * p + 1)};
      auto product = NVVM::MmaOp::create(
          e.b, e.loc, type, a, b, c, {16, 8, 16}, std::nullopt, std::nullopt,
          std::array{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
          std::array{NVVM::MMALayout::row, NVVM::MMALayout::col});
      for (int64_t i = 0; i < 4; ++i)
        c[i] = LLVM::ExtractValueOp::create(e.b, e.loc, product.getRes(), i);
    }
  }
  return c;
}

/// A lane's place in a tile: its fragment rows and columns.
struct TileLane {
  /// The lane's group (lane / 4) and place in it (lane % 4).
  Value group, t;
  /// The outputs of accumulators 0, 1 (A's row g) and 2, 3 (row g + 8) of
  /// every sub-tile.
  OutputLayout::Slot top, bottom;
  const RowTile &tile;
  TileLane(Emitter &e, const WarpCell &cell, const RowTile &tile,
           const OutputLayout &layout)
      : tile(tile) {
    group = e.div(cell.lane, e.index(4));
    t = e.rem(cell.lane, e.index(4));
    top = layout.slot(e, cell.cell, kTileOutputs, group, /*secondHalf=*/false);
    bottom =
        layout.slot(e, cell.cell, kTileOutputs, group, /*secondHalf=*/true);
  }
  const OutputLayout::Slot &slot(int64_t i) const {
    return i < 2 ? top : bottom;
  }
  /// The output of accumulator i.
  Value output(int64_t i) const { return slot(i).output; }
  Value subTileFirst(Emitter &e, int64_t j) const {
    return e.add(tile.first, e.index(kFragmentRows * j));
  }
  /// Whether sub-tile j holds rows of the segment (the same for the warp).
  Value subTileLive(Emitter &e, int64_t j) const {
    return e.cmpi(arith::CmpIPredicate::ult, subTileFirst(e, j), tile.end);
  }
  /// The sorted row of accumulator i of sub-tile j.
  Value row(Emitter &e, int64_t j, int64_t i) const {
    Value column = e.add(e.mul(t, e.index(2)), e.index(i % 2));
    return e.add(subTileFirst(e, j), column);
  }
  /// This lane's sorted row of sub-tile j (clamped to the segment's last)
  /// for B.
  Value activationRow(Emitter &e, int64_t j) const {
    Value last = e.sub(tile.end, e.index(1));
    return e.minIndex(e.add(subTileFirst(e, j), group), last);
  }
  /// Whether accumulator i of sub-tile j is a real output of a real row.
  Value real(Emitter &e, Value tileReal, int64_t j, int64_t i) const {
    Value inRows = e.cmpi(arith::CmpIPredicate::ult, row(e, j, i), tile.end);
    return e.andi(tileReal, e.andi(inRows, slot(i).real));
  }
};

/// acc (kSubTiles groups of `perSubTile`) with each live sub-tile j's
/// group replaced by step(j, its group); dead sub-tiles skip the products.
SmallVector<Value> eachLiveSubTile(
    Emitter &e, const TileLane &lane, ValueRange acc, int64_t perSubTile,
    function_ref<SmallVector<Value>(Emitter &, int64_t, ValueRange)> step) {
  SmallVector<Value> next;
  for (int64_t j = 0; j < kSubTiles; ++j) {
    ValueRange mine = acc.slice(j * perSubTile, perSubTile);
    SmallVector<Value> updated = selectValues(
        e, lane.subTileLive(e, j), [&](Emitter &e) { return step(e, j, mine); },
        [&](Emitter &) { return SmallVector<Value>(mine); });
    llvm::append_range(next, updated);
  }
  return next;
}

/// A tile kernel over the outputs of `layout`: a warp per kTileOutputs
/// outputs of a row tile. `body` gets the warp's cell, tile and lane, and
/// the lane's weight rows (A's rows g and g + 8).
void launchTiles(Emitter &e, const Experts &ex, Value rows,
                 const OutputLayout &layout, StringRef name,
                 function_ref<void(Emitter &, const WarpCell &, const RowTile &,
                                   const TileLane &, Value, Value)>
                     body) {
  Value cells = e.index(layout.cells(kTileOutputs));
  Value tiles = rowTileBound(e, ex, rows);
  launchWarpPerCell(
      e, name, tiles, cells, [&](Emitter &e, const WarpCell &cell) {
        RowTile tile = rowTileAt(e, ex, rows, cell.row);
        TileLane lane(e, cell, tile, layout);
        body(e, cell, tile, lane, lane.top.output, lane.bottom.output);
      });
}

/// A tile's sums over a reduction of `depth`, kTileDepth per step with this
/// lane's 8 elements at k: `weights(e, k)` loads the step's weight
/// fragments, `step(e, j, k, w, sums)` adds live sub-tile j's products to
/// its `perSubTile` sums.
SmallVector<Value>
tileSums(Emitter &e, const TileLane &lane, int64_t depth, int64_t perSubTile,
         function_ref<SmallVector<Value>(Emitter &, Value)> weights,
         function_ref<SmallVector<Value>(Emitter &, int64_t, Value,
                                         ArrayRef<Value>, ValueRange)>
             step) {
  SmallVector<Value> init(perSubTile * kSubTiles, e.f32(0.0));
  Value first = e.index(0), steps = e.index(depth / kTileDepth);
  ValueRange result = e.loop(
      first, steps, init,
      [&](Emitter &e, Value s, ValueRange acc) -> SmallVector<Value> {
        Value stepStart = e.mul(s, e.index(kTileDepth));
        Value mine = e.mul(lane.t, e.index(8));
        Value k = e.add(stepStart, mine);
        SmallVector<Value> w = weights(e, k);
        return eachLiveSubTile(e, lane, acc, perSubTile,
                               [&](Emitter &e, int64_t j, ValueRange sums) {
                                 return step(e, j, k, w, sums);
                               });
      });
  return SmallVector<Value>(result);
}

/// Kernel 1 on tensor cores.
void emitGateUpTiles(Emitter &e, const Experts &ex, Value rows, Value act,
                     StringRef name) {
  const int64_t width = ex.width, hidden = ex.hidden;
  launchTiles(
      e, ex, rows, OutputLayout{width}, name,
      [&](Emitter &e, const WarpCell &cell, const RowTile &tile,
          const TileLane &lane, Value top, Value bottom) {
        Value g = tile.group;
        SmallVector<Value> tokens;
        for (int64_t j = 0; j < kSubTiles; ++j) {
          Value pair = pairOfRow(e, ex, lane.activationRow(e, j));
          tokens.push_back(e.div(pair, e.index(ex.k)));
        }
        auto weights = [&](Emitter &e, Value k) {
          auto routed = [&](Emitter &e) -> SmallVector<Value> {
            return {loadPacked(e, ex.gate, {g, top, k}),
                    loadPacked(e, ex.gate, {g, bottom, k}),
                    loadPacked(e, ex.up, {g, top, k}),
                    loadPacked(e, ex.up, {g, bottom, k})};
          };
          auto shared = [&](Emitter &e) -> SmallVector<Value> {
            Value base = sharedOffset(e, ex, g);
            Value topRow = e.add(base, top), bottomRow = e.add(base, bottom);
            return {loadPacked(e, ex.sharedGate, {topRow, k}),
                    loadPacked(e, ex.sharedGate, {bottomRow, k}),
                    loadPacked(e, ex.sharedUp, {topRow, k}),
                    loadPacked(e, ex.sharedUp, {bottomRow, k})};
          };
          return byExpertKind(e, ex, g, routed, shared);
        };
        // Per sub-tile: 4 gate sums, then 4 up sums.
        SmallVector<Value> acc = tileSums(
            e, lane, hidden, 8, weights,
            [&](Emitter &e, int64_t j, Value k, ArrayRef<Value> w,
                ValueRange sums) -> SmallVector<Value> {
              std::pair<Value, Value> split =
                  loadSplit(e, ex.x, {tokens[j], k});
              Value hi = split.first, lo = split.second;
              SmallVector<Value> gate =
                  stepProducts(e, w[0], w[1], hi, lo, sums.take_front(4));
              SmallVector<Value> up =
                  stepProducts(e, w[2], w[3], hi, lo, sums.drop_front(4));
              llvm::append_range(gate, up);
              return gate;
            });
        Value tileReal = e.andi(cell.real, tile.real);
        for (int64_t j = 0; j < kSubTiles; ++j)
          for (int64_t i = 0; i < 4; ++i)
            e.when(lane.real(e, tileReal, j, i), [&](Emitter &e) {
              Value gate = acc[8 * j + i], up = acc[8 * j + 4 + i];
              Value product = e.mul(silu(e, gate), up);
              e.store(product, act, {lane.row(e, j, i), lane.output(i)});
            });
      });
}

/// Kernel 2 on tensor cores.
void emitDownTiles(Emitter &e, const Experts &ex, Value rows, Value act,
                   Value out, StringRef name) {
  const int64_t width = ex.width;
  launchTiles(
      e, ex, rows, downLayout(ex), name,
      [&](Emitter &e, const WarpCell &cell, const RowTile &tile,
          const TileLane &lane, Value top, Value bottom) {
        Value g = tile.group;
        SmallVector<Value> activationRows;
        for (int64_t j = 0; j < kSubTiles; ++j)
          activationRows.push_back(lane.activationRow(e, j));
        auto weights = [&](Emitter &e, Value i) {
          auto routed = [&](Emitter &e) -> SmallVector<Value> {
            return {loadPacked(e, ex.down, {g, top, i}),
                    loadPacked(e, ex.down, {g, bottom, i})};
          };
          auto shared = [&](Emitter &e) -> SmallVector<Value> {
            Value base = sharedOffset(e, ex, g);
            Value column = e.add(base, i);
            return {loadPacked(e, ex.sharedDown, {top, column}),
                    loadPacked(e, ex.sharedDown, {bottom, column})};
          };
          return byExpertKind(e, ex, g, routed, shared);
        };
        SmallVector<Value> acc =
            tileSums(e, lane, width, 4, weights,
                     [&](Emitter &e, int64_t j, Value i, ArrayRef<Value> w,
                         ValueRange sums) -> SmallVector<Value> {
                       std::pair<Value, Value> split =
                           loadSplit(e, act, {activationRows[j], i});
                       return stepProducts(e, w[0], w[1], split.first,
                                           split.second, sums);
                     });
        Value tileReal = e.andi(cell.real, tile.real);
        for (int64_t j = 0; j < kSubTiles; ++j) {
          // Accumulators n and n + 2 hold a RoPE pair of the same row.
          SmallVector<Value> y(acc.begin() + 4 * j, acc.begin() + 4 * j + 4);
          for (int64_t n = 0; ex.rope && n < 2; ++n)
            std::tie(y[n], y[n + 2]) = turnPair(e, ex, lane.row(e, j, n),
                                                lane.top.pair, y[n], y[n + 2]);
          for (int64_t n = 0; n < 4; ++n)
            e.when(lane.real(e, tileReal, j, n), [&](Emitter &e) {
              Value pair = pairOfRow(e, ex, lane.row(e, j, n));
              Value column = lane.output(n);
              Value weighted = timesRoutingWeight(e, ex, pair, y[n]);
              e.store(plusResidual(e, ex, pair, column, weighted), out,
                      {pair, column});
            });
        }
      });
}

/// A product's launch: its tile form where it has one (`hasTiles`) and the
/// host's `useTiles` holds, else its warp form. One branch, so that
/// moe-gpu-predicate-launches can make the two one kernel.
void launchEitherForm(Emitter &e, bool hasTiles, Value useTiles,
                      function_ref<void(Emitter &)> tiles,
                      function_ref<void(Emitter &)> warps) {
  if (hasTiles)
    e.when(useTiles, tiles, warps);
  else
    warps(e);
}

/// Kernel 2, down times the routing weight at the pair's row: the tiles
/// where they exist, when `useTiles`, else a warp per kRowsPerWarp outputs
/// of a sorted row.
void emitDownKernels(Emitter &e, const Experts &ex, Value rows, Value act,
                     Value out, Value useTiles, StringRef warpName,
                     StringRef tilesName) {
  const int64_t width = ex.width;
  const int64_t widthVector = vectorWidth(width);
  const bool downTiles = onTensorCores({ex.down, ex.sharedDown}, width);
  auto tiles = [&](Emitter &e) {
    emitDownTiles(e, ex, rows, act, out, tilesName);
  };
  const OutputLayout layout = downLayout(ex);
  launchEitherForm(e, downTiles, useTiles, tiles, [&](Emitter &e) {
    Value downCells = e.index(layout.cells(kRowsPerWarp));
    launchWarpPerCell(
        e, warpName, rows, downCells, [&](Emitter &e, const WarpCell &cell) {
          Value r = cell.row;
          // Outputs n and n + 2 are a RoPE pair where the layout pairs them.
          SmallVector<OutputLayout::Slot> hs;
          for (int64_t n = 0; n < kRowsPerWarp; ++n) {
            Value inHalf = e.index(n % (kRowsPerWarp / 2));
            hs.push_back(layout.slot(e, cell.cell, kRowsPerWarp, inHalf,
                                     /*secondHalf=*/n >= kRowsPerWarp / 2));
          }
          Value g = expertOfRow(e, ex, r);
          Value pair = pairOfRow(e, ex, r);
          auto actAt = [&](Emitter &e, Value i) {
            return loadVector(e, act, {r, i}, widthVector);
          };
          auto routed = [&](Emitter &e) {
            return laneDots(e, width, cell.lane, kRowsPerWarp, actAt,
                            [&](Emitter &e, unsigned n, Value i) {
                              return loadVector(e, ex.down,
                                                {g, hs[n].output, i},
                                                widthVector);
                            });
          };
          auto shared = [&](Emitter &e) {
            Value base = sharedOffset(e, ex, g);
            return laneDots(e, width, cell.lane, kRowsPerWarp, actAt,
                            [&](Emitter &e, unsigned n, Value i) {
                              Value column = e.add(base, i);
                              return loadVector(e, ex.sharedDown,
                                                {hs[n].output, column},
                                                widthVector);
                            });
          };
          SmallVector<Value> partial = byExpertKind(e, ex, g, routed, shared);
          SmallVector<Value> sums = warpSum(e, partial);
          constexpr int64_t pairs = kRowsPerWarp / 2;
          for (int64_t n = 0; ex.rope && n < pairs; ++n)
            std::tie(sums[n], sums[n + pairs]) =
                turnPair(e, ex, r, hs[n].pair, sums[n], sums[n + pairs]);
          for (int64_t n = 0; n < kRowsPerWarp; ++n) {
            Value real = e.andi(cell.real, hs[n].real);
            storeFromLaneZero(e, cell, real, [&](Emitter &e) {
              Value column = hs[n].output;
              Value y = timesRoutingWeight(e, ex, pair, sums[n]);
              e.store(plusResidual(e, ex, pair, column, y), out,
                      {pair, column});
            });
          }
        });
  });
}

/// Kernels 1 and 2, a warp per kRowsPerWarp outputs of a sorted row; the
/// weighted expert outputs go to `out` at the pair's row (for a dense MLP:
/// the result itself).
void emitExpertKernels(Emitter &e, const Experts &ex, Value rows, Value act,
                       Value out) {
  const std::string prefix = ex.permutation ? "experts_" : "swiglu_";
  const int64_t width = ex.width, hidden = ex.hidden;
  const int64_t hiddenVector = vectorWidth(hidden);
  // Tensor-core tiles once the average expert has a product's 8 rows, the
  // host's choice: the row count is known there, so it launches one form.
  const bool gateUpTiles =
      onTensorCores({ex.gate, ex.up, ex.sharedGate, ex.sharedUp}, hidden);
  const bool downTiles = onTensorCores({ex.down, ex.sharedDown}, width);
  Value useTiles;
  if (gateUpTiles || downTiles)
    useTiles = tilesPay(e, ex, rows);
  // 1. gate/up + SwiGLU.
  auto tiles = [&](Emitter &e) {
    emitGateUpTiles(e, ex, rows, act, prefix + "gate_up_tiles");
  };
  launchEitherForm(e, gateUpTiles, useTiles, tiles, [&](Emitter &e) {
    Value gateUpCells = cellsOf(e, width);
    launchWarpPerCell(
        e, prefix + "gate_up", rows, gateUpCells,
        [&](Emitter &e, const WarpCell &cell) {
          Value r = cell.row;
          CellRows js(e, cell, width);
          Value g = expertOfRow(e, ex, r);
          Value pair = pairOfRow(e, ex, r);
          Value t = e.div(pair, e.index(ex.k));
          auto xAt = [&](Emitter &e, Value h) {
            return loadVector(e, ex.x, {t, h}, hiddenVector);
          };
          // Rows 0..J-1 of gate, then J..2J-1 of up.
          auto routed = [&](Emitter &e) {
            return laneDots(
                e, hidden, cell.lane, 2 * kRowsPerWarp, xAt,
                [&](Emitter &e, unsigned i, Value h) {
                  Value weights = i < kRowsPerWarp ? ex.gate : ex.up;
                  Value j = js.rows[i % kRowsPerWarp];
                  return loadVector(e, weights, {g, j, h}, hiddenVector);
                });
          };
          auto shared = [&](Emitter &e) {
            Value base = sharedOffset(e, ex, g);
            SmallVector<Value> weightRows;
            for (Value j : js.rows)
              weightRows.push_back(e.add(base, j));
            return laneDots(
                e, hidden, cell.lane, 2 * kRowsPerWarp, xAt,
                [&](Emitter &e, unsigned i, Value h) {
                  Value weights =
                      i < kRowsPerWarp ? ex.sharedGate : ex.sharedUp;
                  Value row = weightRows[i % kRowsPerWarp];
                  return loadVector(e, weights, {row, h}, hiddenVector);
                });
          };
          SmallVector<Value> partial = byExpertKind(e, ex, g, routed, shared);
          SmallVector<Value> sums = warpSum(e, partial);
          for (int64_t i = 0; i < kRowsPerWarp; ++i)
            storeFromLaneZero(e, cell, js.real[i], [&](Emitter &e) {
              Value activated = silu(e, sums[i]);
              Value product = e.mul(activated, sums[kRowsPerWarp + i]);
              e.store(product, act, {r, js.rows[i]});
            });
        });
  });
  // 2. down, times the routing weight, at the pair's row.
  emitDownKernels(e, ex, rows, act, out, useTiles, prefix + "down",
                  prefix + "down_tiles");
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
    ex.x = e.buffer(adaptor.getX(), /*unitInnerStride=*/true);
    ex.permutation = e.buffer(adaptor.getPermutation());
    ex.offsets = e.buffer(adaptor.getOffsets());
    ex.weights = e.buffer(adaptor.getWeights());
    ex.k = op.getTopK();
    ex.routed = op.getNumRoutedExperts();
    ex.gate = e.buffer(adaptor.getGateWeights(), /*unitInnerStride=*/true);
    ex.up = e.buffer(adaptor.getUpWeights(), /*unitInnerStride=*/true);
    ex.down = e.buffer(adaptor.getDownWeights(), /*unitInnerStride=*/true);
    if (adaptor.getSharedGateWeight()) {
      ex.sharedGate =
          e.buffer(adaptor.getSharedGateWeight(), /*unitInnerStride=*/true);
      ex.sharedUp =
          e.buffer(adaptor.getSharedUpWeight(), /*unitInnerStride=*/true);
      ex.sharedDown =
          e.buffer(adaptor.getSharedDownWeight(), /*unitInnerStride=*/true);
    }
    ex.groups = op.getOffsets().getType().getDimSize(0);
    ex.width = gateType.getDimSize(1);
    ex.hidden = hidden;

    arith::AddFOp add = foldableResidualAdd(op);
    Value residual = residualBuffer(e, rewriter, op, add);
    Value tokens = e.dim(ex.x, 0);
    Value rows = e.dim(ex.permutation, 0);
    Type f32 = rewriter.getF32Type();
    auto rowsType = [&](int64_t n) {
      return RankedTensorType::get({ShapedType::kDynamic, n}, f32);
    };
    Value act = e.alloc(rowsType(ex.width), rows);
    Value slots = e.alloc(rowsType(hidden), rows);
    emitExpertKernels(e, ex, rows, act, slots);
    // 3. combine, in slot order, then the residual.
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
          if (residual)
            sum = e.add(sum, e.load(residual, {t, h}));
          e.store(sum, result, {t, h});
        });
    replaceWithSum(rewriter, op, add, e.tensor(op.getType(), result));
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
    ex.x = e.buffer(adaptor.getX(), /*unitInnerStride=*/true);
    ex.sharedGate = e.buffer(adaptor.getGateWeight(), /*unitInnerStride=*/true);
    ex.sharedUp = e.buffer(adaptor.getUpWeight(), /*unitInnerStride=*/true);
    ex.sharedDown = e.buffer(adaptor.getDownWeight(), /*unitInnerStride=*/true);
    ex.width = width;
    ex.hidden = hidden;
    arith::AddFOp add = foldableResidualAdd(op);
    ex.residual = residualBuffer(e, rewriter, op, add);
    Value tokens = e.dim(ex.x, 0);
    auto actType = RankedTensorType::get({ShapedType::kDynamic, width},
                                         rewriter.getF32Type());
    Value act = e.alloc(actType, tokens);
    Value result = e.alloc(op.getType(), tokens);
    emitExpertKernels(e, ex, tokens, act, result);
    replaceWithSum(rewriter, op, add, e.tensor(op.getType(), result));
    return success();
  }
};

} // namespace

Value moec::lowering::emitLinearKernels(Emitter &e, Value x, Value weight,
                                        Value residual, RoPEAttr rope,
                                        Value ropeStart,
                                        RankedTensorType type) {
  auto weightType = cast<MemRefType>(weight.getType());
  const int64_t outputs = weightType.getDimSize(0),
                depth = weightType.getDimSize(1);
  // One dense product: the "shared expert" of a dense MLP's down step.
  Experts ex;
  ex.x = x;
  ex.sharedDown = weight;
  ex.width = depth;
  ex.hidden = outputs;
  ex.residual = residual;
  ex.rope = rope;
  ex.ropeStart = ropeStart;
  Value rows = e.dim(x, 0);
  Value y = e.alloc(type, rows);
  Value useTiles;
  if (onTensorCores({weight}, depth))
    useTiles = tilesPay(e, ex, rows);
  emitDownKernels(e, ex, rows, x, y, useTiles, "linear", "linear_tiles");
  return y;
}

Value moec::lowering::inverseFrequency(Emitter &e, RoPEAttr rope, Value j) {
  SmallVector<double> freqs = rope.getInverseFrequencies();
  auto type =
      VectorType::get({static_cast<int64_t>(freqs.size())}, e.b.getF64Type());
  Value table = arith::ConstantOp::create(
      e.b, e.loc, DenseElementsAttr::get(type, ArrayRef<double>(freqs)));
  return vector::ExtractOp::create(e.b, e.loc, table, OpFoldResult(j));
}

void moec::lowering::populateExpertsToGPUPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpertFFNToGPU, SwiGLUToGPU>(patterns.getContext());
}
