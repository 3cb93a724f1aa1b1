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
//   3. combine: y[t, h] = sum_{j = 0..k-1} slot[t * k + j, h], in slot order.
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
#include "Launch.h"
#include "Patterns.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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
/// branches.
SmallVector<Value>
selectValues(Emitter &e, Value cond,
             function_ref<SmallVector<Value>(Emitter &)> then,
             function_ref<SmallVector<Value>(Emitter &)> otherwise) {
  auto branch = [](function_ref<SmallVector<Value>(Emitter &)> body) {
    return [body](OpBuilder &b, Location l) {
      Emitter in{b, l};
      scf::YieldOp::create(b, l, body(in));
    };
  };
  auto op =
      scf::IfOp::create(e.b, e.loc, cond, branch(then), branch(otherwise));
  return SmallVector<Value>(op.getResults());
}

/// Weight rows per warp: each vector of activations a lane loads serves all
/// of them, and their loads are in flight together.
constexpr int64_t kRowsPerWarp = 4;

/// Elements per vector load along a reduction of length n: up to 16 bytes
/// of bf16/f16 weights (the widest load of a GPU thread), dividing n so that
/// every row starts aligned.
int64_t vectorWidth(int64_t n) {
  for (int64_t width : {8, 4, 2})
    if (n % width == 0)
      return width;
  return 1;
}

/// vector<width x f32> of mem at indices (widened from f16/bf16), aligned as
/// device allocations and rows of a multiple of `width` elements are.
Value loadVector(Emitter &e, Value mem, ValueRange indices, int64_t width) {
  Type element = cast<MemRefType>(mem.getType()).getElementType();
  auto type = VectorType::get({width}, element);
  llvm::MaybeAlign alignment(width * element.getIntOrFloatBitWidth() / 8);
  Value v = vector::LoadOp::create(e.b, e.loc, type, mem, indices,
                                   /*nontemporal=*/false, alignment);
  if (element.isF32())
    return v;
  return arith::ExtFOp::create(e.b, e.loc, type.clone(e.b.getF32Type()), v);
}

/// A lane's share of `rows` dot products of length n with one activation
/// row: the lanes of a warp take turns over vectors of `width` elements, so
/// that together they read each weight row contiguously (coalesced).
/// `act(e, h)` and `row(e, i, h)` load the vectors at element h. Returns the
/// lane's partial sums, which warpSum adds up.
SmallVector<Value>
laneDots(Emitter &e, int64_t n, Value lane, unsigned rows,
         function_ref<Value(Emitter &, Value)> act,
         function_ref<Value(Emitter &, unsigned, Value)> row) {
  const int64_t width = vectorWidth(n);
  const int64_t vectors = n / width;
  const int64_t turns = (vectors + kWarpSize - 1) / kWarpSize;
  auto type = VectorType::get({width}, e.b.getF32Type());
  Value zero = arith::ConstantOp::create(
      e.b, e.loc, DenseElementsAttr::get(type, e.b.getF32FloatAttr(0.0)));
  SmallVector<Value> init(rows, zero);
  Value first = e.index(0), end = e.index(turns);
  ValueRange sums = e.loop(
      first, end, init,
      [&](Emitter &e, Value turn, ValueRange acc) -> SmallVector<Value> {
        Value turnStart = e.mul(turn, e.index(kWarpSize));
        Value vec = e.add(turnStart, lane);
        auto accumulate = [&](Emitter &e) {
          Value h = e.mul(vec, e.index(width));
          Value a = act(e, h);
          SmallVector<Value> next;
          for (unsigned i = 0; i < rows; ++i) {
            Value w = row(e, i, h);
            next.push_back(e.add(acc[i], e.mul(a, w)));
          }
          return next;
        };
        if (vectors % kWarpSize == 0)
          return accumulate(e);
        // The last turn has fewer vectors than lanes.
        return selectValues(
            e, e.cmpi(arith::CmpIPredicate::ult, vec, e.index(vectors)),
            accumulate, [&](Emitter &) { return SmallVector<Value>(acc); });
      });
  SmallVector<Value> partial;
  for (Value sum : sums)
    partial.push_back(vector::ReductionOp::create(
        e.b, e.loc, vector::CombiningKind::ADD, sum));
  return partial;
}

/// routed(e) where expert g is a routed one, shared(e) where it is a shared
/// one: a branch on g only where the op has both kinds.
SmallVector<Value>
byExpertKind(Emitter &e, const Experts &ex, Value g,
             function_ref<SmallVector<Value>(Emitter &)> routed,
             function_ref<SmallVector<Value>(Emitter &)> shared) {
  if (!ex.sharedGate)
    return routed(e);
  if (!ex.gate)
    return shared(e);
  Value isRouted = e.cmpi(arith::CmpIPredicate::ult, g, e.index(ex.routed));
  return selectValues(e, isRouted, routed, shared);
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

/// The weight rows a warp's cell covers: cell * kRowsPerWarp + i, clamped
/// to the last row (loads stay in bounds; stores are guarded by `real`).
struct CellRows {
  SmallVector<Value> rows, real;
  CellRows(Emitter &e, const WarpCell &cell, int64_t count) {
    Value first = e.mul(cell.cell, e.index(kRowsPerWarp));
    Value last = e.index(count - 1);
    Value countV = e.index(count);
    for (int64_t i = 0; i < kRowsPerWarp; ++i) {
      Value row = e.add(first, e.index(i));
      Value inside = e.cmpi(arith::CmpIPredicate::ult, row, countV);
      rows.push_back(e.minIndex(row, last));
      real.push_back(e.andi(cell.real, inside));
    }
  }
};

/// Stores from lane 0 only: every lane holds the warp's sums.
void storeFromLaneZero(Emitter &e, const WarpCell &cell, Value real,
                       function_ref<void(Emitter &)> store) {
  Value laneZero = e.cmpi(arith::CmpIPredicate::eq, cell.lane, e.index(0));
  e.when(e.andi(laneZero, real), store);
}

Value cellsOf(Emitter &e, int64_t rows) {
  return e.index((rows + kRowsPerWarp - 1) / kRowsPerWarp);
}

/// Kernels 1 and 2, a warp per kRowsPerWarp outputs of a sorted row; the
/// weighted expert outputs go to `out` at the pair's row (for a dense MLP:
/// the result itself).
void emitExpertKernels(Emitter &e, const Experts &ex, Value rows, Value act,
                       Value out) {
  const std::string prefix = ex.permutation ? "experts_" : "swiglu_";
  const int64_t width = ex.width, hidden = ex.hidden;
  const int64_t hiddenVector = vectorWidth(hidden);
  const int64_t widthVector = vectorWidth(width);
  // 1. gate/up + SwiGLU.
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
          Value s = e.sub(g, e.index(ex.routed));
          Value base = e.mul(s, e.index(width));
          SmallVector<Value> weightRows;
          for (Value j : js.rows)
            weightRows.push_back(e.add(base, j));
          return laneDots(
              e, hidden, cell.lane, 2 * kRowsPerWarp, xAt,
              [&](Emitter &e, unsigned i, Value h) {
                Value weights = i < kRowsPerWarp ? ex.sharedGate : ex.sharedUp;
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
  // 2. down, times the routing weight, at the pair's row.
  Value downCells = cellsOf(e, hidden);
  launchWarpPerCell(
      e, prefix + "down", rows, downCells,
      [&](Emitter &e, const WarpCell &cell) {
        Value r = cell.row;
        CellRows hs(e, cell, hidden);
        Value g = expertOfRow(e, ex, r);
        Value pair = pairOfRow(e, ex, r);
        auto actAt = [&](Emitter &e, Value i) {
          return loadVector(e, act, {r, i}, widthVector);
        };
        auto routed = [&](Emitter &e) {
          return laneDots(
              e, width, cell.lane, kRowsPerWarp, actAt,
              [&](Emitter &e, unsigned n, Value i) {
                return loadVector(e, ex.down, {g, hs.rows[n], i}, widthVector);
              });
        };
        auto shared = [&](Emitter &e) {
          Value s = e.sub(g, e.index(ex.routed));
          Value base = e.mul(s, e.index(width));
          return laneDots(e, width, cell.lane, kRowsPerWarp, actAt,
                          [&](Emitter &e, unsigned n, Value i) {
                            Value column = e.add(base, i);
                            return loadVector(e, ex.sharedDown,
                                              {hs.rows[n], column},
                                              widthVector);
                          });
        };
        SmallVector<Value> partial = byExpertKind(e, ex, g, routed, shared);
        SmallVector<Value> sums = warpSum(e, partial);
        for (int64_t n = 0; n < kRowsPerWarp; ++n)
          storeFromLaneZero(e, cell, hs.real[n], [&](Emitter &e) {
            Value y = sums[n];
            if (ex.weights) {
              Value kV = e.index(ex.k);
              Value t = e.div(pair, kV);
              Value j = e.rem(pair, kV);
              y = e.mul(y, e.load(ex.weights, {t, j}));
            }
            e.store(y, out, {pair, hs.rows[n]});
          });
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
    ex.x = e.buffer(adaptor.getX(), /*unitInnerStride=*/true);
    ex.sharedGate = e.buffer(adaptor.getGateWeight(), /*unitInnerStride=*/true);
    ex.sharedUp = e.buffer(adaptor.getUpWeight(), /*unitInnerStride=*/true);
    ex.sharedDown = e.buffer(adaptor.getDownWeight(), /*unitInnerStride=*/true);
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
