//===- Lockstep.cpp - GPU kernels on the host, a warp at a time -----------===//
//
// A warp's lanes run in lock step: the ops between two warp-wide ops run in
// a loop over the 32 lanes, and the values that one such run passes to a
// later one, or to a warp-wide op, live in slots (memref<32 x T>, one
// element per lane). A warp-wide op reads every lane's slot: a product
// places the lanes' fragments into scratch matrices, a shuffle reads its
// partner's. Loops and branches holding warp-wide ops are warp uniform and
// run once, with lane 0's bounds and condition. Constants and values of
// the block (its ids, a uniform loop's index) are shared by all lanes.
//
//===----------------------------------------------------------------------===//
#include "Lockstep.h"

#include "Launch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace moec::lowering;

namespace {

constexpr int64_t kProductM = 16, kProductN = 8, kProductK = 16;

/// Ops that read the values of other lanes.
bool isWarpWide(Operation *op) {
  return isa<NVVM::MmaOp, gpu::ShuffleOp, gpu::BarrierOp>(op);
}

bool holdsWarpWide(Operation *op) {
  return op
      ->walk([](Operation *inner) {
        return isWarpWide(inner) ? WalkResult::interrupt()
                                 : WalkResult::advance();
      })
      .wasInterrupted();
}

InFlightDiagnostic refuse(Operation *op, const Twine &why) {
  return op->emitError("moe-gpu-launch-to-loops: ") << why;
}

struct Lockstep {
  Lockstep(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  OpBuilder &b;
  Location loc;
  /// The outermost of the kernel's loops: slots and shared constants go
  /// before it.
  Operation *beforeLoops = nullptr;
  /// Values every lane shares.
  IRMapping shared;
  /// Each lane's copy of a value, memref<32 x T>.
  DenseMap<Value, Value> slots;
  /// The slots of each product's four accumulators.
  DenseMap<Value, SmallVector<Value>> products;
  /// The kernel's thread ids, and the block's sizes along x and y.
  gpu::KernelDim3 threadIds;
  Value blockX, blockY;
  /// The first linear thread id of the warp.
  Value warpStart;
  /// Scratch of the products, f32: A [M, K], B transposed [N, K], C [M, N].
  Value a, bt, c;
  std::array<Value, kWarpSize + 1> smallIndices;

  /// The index v in [0, 32], created once before the loops.
  Value small(int64_t v) {
    Value &constant = smallIndices[v];
    if (!constant) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(beforeLoops);
      constant = arith::ConstantIndexOp::create(b, loc, v);
    }
    return constant;
  }

  Value slotFor(Operation *user, Type type) {
    if (!type.isIntOrIndexOrFloat() && !isa<VectorType>(type)) {
      refuse(user, "a value of type ")
          << type << " cannot pass between lanes' runs in lock step";
      return {};
    }
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(beforeLoops);
    return memref::AllocaOp::create(b, loc, MemRefType::get({kWarpSize}, type));
  }

  /// `v` in the lane `lane` (an index inside a loop over the lanes), read
  /// from its slot once per run and remembered in `run`.
  Value read(Value v, Value lane, IRMapping &run) {
    if (Value known = run.lookupOrNull(v))
      return known;
    if (Value common = shared.lookupOrNull(v)) {
      run.map(v, common);
      return common;
    }
    auto slot = slots.find(v);
    if (slot != slots.end()) {
      Value value = memref::LoadOp::create(b, loc, slot->second, lane);
      run.map(v, value);
      return value;
    }
    if (v == threadIds.x || v == threadIds.y || v == threadIds.z) {
      Value linear = arith::AddIOp::create(b, loc, warpStart, lane);
      Value rest = arith::DivUIOp::create(b, loc, linear, blockX);
      run.map(threadIds.x, arith::RemUIOp::create(b, loc, linear, blockX));
      run.map(threadIds.y, arith::RemUIOp::create(b, loc, rest, blockY));
      run.map(threadIds.z, arith::DivUIOp::create(b, loc, rest, blockY));
      return run.lookup(v);
    }
    return v; // defined outside the kernel
  }

  /// `v` as the warp sees it: lane 0's.
  Value laneZero(Value v) {
    IRMapping run;
    return read(v, small(0), run);
  }

  /// Emits body(lane, run) in a loop over the lanes.
  template <typename Body> void eachLane(Body body) {
    auto loop =
        scf::ForOp::create(b, loc, small(0), small(kWarpSize), small(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    IRMapping run;
    body(loop.getInductionVar(), run);
  }

  LogicalResult run(Block &block) {
    SmallVector<Operation *> pending;
    for (Operation &op : block.without_terminator()) {
      if (op.getNumOperands() == 0 && op.hasTrait<OpTrait::ConstantLike>()) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(beforeLoops);
        b.clone(op, shared);
        continue;
      }
      if (auto extract = dyn_cast<LLVM::ExtractValueOp>(op)) {
        auto it = products.find(extract.getContainer());
        if (it != products.end()) {
          slots[extract.getResult()] = it->second[extract.getPosition()[0]];
          continue;
        }
      }
      if (!isWarpWide(&op) && !holdsWarpWide(&op)) {
        pending.push_back(&op);
        continue;
      }
      if (failed(flush(pending)) || failed(runWarpWide(op)))
        return failure();
      pending.clear();
    }
    return flush(pending);
  }

  LogicalResult runWarpWide(Operation &op) {
    if (auto product = dyn_cast<NVVM::MmaOp>(op))
      return runProduct(product);
    if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op))
      return runShuffle(shuffle);
    if (isa<gpu::BarrierOp>(op))
      return refuse(&op, "barriers are not supported in kernels whose "
                         "warps run in lock step");
    if (auto loop = dyn_cast<scf::ForOp>(op))
      return runFor(loop);
    if (auto branch = dyn_cast<scf::IfOp>(op))
      return runIf(branch);
    return refuse(&op, "'") << op.getName()
                            << "' holding warp-wide ops cannot run in lock "
                               "step";
  }

  /// Runs ops that read only their own lane's values, in a loop over the
  /// lanes; the results used after them go to slots.
  LogicalResult flush(ArrayRef<Operation *> ops) {
    if (ops.empty())
      return success();
    for (Operation *op : ops) {
      WalkResult walk = op->walk([&](Operation *inner) {
        StringRef dialect = inner->getDialect()
                                ? inner->getDialect()->getNamespace()
                                : StringRef();
        if (dialect == "gpu" || dialect == "nvvm" ||
            isa<memref::AllocaOp>(inner)) {
          refuse(inner, "cannot run '") << inner->getName() << "' in lock step";
          return WalkResult::interrupt();
        }
        auto extract = dyn_cast<LLVM::ExtractValueOp>(inner);
        if (extract && products.contains(extract.getContainer())) {
          refuse(inner, "a warp matrix product's result must be read in "
                        "the product's block");
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return failure();
    }
    Block *block = ops.front()->getBlock();
    llvm::SmallPtrSet<Operation *, 16> inRun(ops.begin(), ops.end());
    auto usedAfter = [&](Value v) {
      return llvm::any_of(v.getUsers(), [&](Operation *user) {
        Operation *ancestor = block->findAncestorOpInBlock(*user);
        return !ancestor || !inRun.contains(ancestor);
      });
    };
    // Slots first: a failure must leave no half-built loop behind.
    DenseMap<Value, Value> outputs;
    for (Operation *op : ops)
      for (Value result : op->getResults())
        if (usedAfter(result)) {
          Value slot = slotFor(op, result.getType());
          if (!slot)
            return failure();
          outputs[result] = slot;
        }
    eachLane([&](Value lane, IRMapping &run) {
      for (Operation *op : ops) {
        for (Value operand : op->getOperands())
          read(operand, lane, run);
        llvm::SetVector<Value> above;
        getUsedValuesDefinedAbove(op->getRegions(), above);
        for (Value v : above)
          read(v, lane, run);
        Operation *copy = b.clone(*op, run);
        dropVectorAlignment(copy);
        for (auto [result, value] :
             llvm::zip_equal(op->getResults(), copy->getResults())) {
          auto slot = outputs.find(result);
          if (slot != outputs.end())
            memref::StoreOp::create(b, loc, value, slot->second, lane);
        }
      }
    });
    for (auto [value, slot] : outputs)
      slots[value] = slot;
    return success();
  }

  /// Slots for values of these types.
  FailureOr<SmallVector<Value>> slotsFor(Operation *op, TypeRange types) {
    SmallVector<Value> result;
    for (Type type : types) {
      Value slot = slotFor(op, type);
      if (!slot)
        return failure();
      result.push_back(slot);
    }
    return result;
  }

  /// Every lane's `values` into `into`, all read before any is written (a
  /// loop's yield may permute its own arguments).
  void copyInto(ArrayRef<Value> into, ValueRange values) {
    if (into.empty())
      return;
    eachLane([&](Value lane, IRMapping &run) {
      SmallVector<Value> current;
      for (Value v : values)
        current.push_back(read(v, lane, run));
      for (auto [slot, value] : llvm::zip_equal(into, current))
        memref::StoreOp::create(b, loc, value, slot, lane);
    });
  }

  /// A warp-uniform loop: lane 0's bounds; the lanes' loop-carried values
  /// in slots.
  LogicalResult runFor(scf::ForOp op) {
    FailureOr<SmallVector<Value>> carried = slotsFor(op, op.getResultTypes());
    if (failed(carried))
      return failure();
    copyInto(*carried, op.getInitArgs());
    Value lb = laneZero(op.getLowerBound());
    Value ub = laneZero(op.getUpperBound());
    Value step = laneZero(op.getStep());
    auto loop = scf::ForOp::create(b, loc, lb, ub, step);
    shared.map(op.getInductionVar(), loop.getInductionVar());
    for (auto [arg, slot] : llvm::zip_equal(op.getRegionIterArgs(), *carried))
      slots[arg] = slot;
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      if (failed(run(*op.getBody())))
        return failure();
      copyInto(*carried, op.getBody()->getTerminator()->getOperands());
    }
    for (auto [result, slot] : llvm::zip_equal(op.getResults(), *carried))
      slots[result] = slot;
    return success();
  }

  /// A warp-uniform branch: lane 0's condition; the lanes' results in
  /// slots.
  LogicalResult runIf(scf::IfOp op) {
    FailureOr<SmallVector<Value>> results = slotsFor(op, op.getResultTypes());
    if (failed(results))
      return failure();
    Value cond = laneZero(op.getCondition());
    auto branch = scf::IfOp::create(b, loc, TypeRange(), cond,
                                    /*withElseRegion=*/true);
    for (auto [from, to] :
         {std::pair{&op.getThenRegion(), &branch.getThenRegion()},
          {&op.getElseRegion(), &branch.getElseRegion()}}) {
      if (from->empty())
        continue;
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(to->front().getTerminator());
      if (failed(run(from->front())))
        return failure();
      copyInto(*results, from->front().getTerminator()->getOperands());
    }
    for (auto [result, slot] : llvm::zip_equal(op.getResults(), *results))
      slots[result] = slot;
    return success();
  }

  /// A shuffle of lane i reads lane i xor offset (shfl.sync.bfly).
  LogicalResult runShuffle(gpu::ShuffleOp op) {
    APInt offset, width;
    if (op.getMode() != gpu::ShuffleMode::XOR ||
        !matchPattern(laneZero(op.getOffset()), m_ConstantInt(&offset)) ||
        !matchPattern(laneZero(op.getWidth()), m_ConstantInt(&width)))
      return refuse(op, "only xor shuffles of constant offset and width run "
                        "in lock step");
    if (offset.uge(kWarpSize) || width.isZero() || width.ugt(kWarpSize))
      return refuse(op, "a shuffle's offset must be below 32 and its width "
                        "in [1, 32]");
    Value value = slotFor(op, op.getValue().getType());
    Value valid = slotFor(op, b.getI1Type());
    if (!value || !valid)
      return failure();
    eachLane([&](Value lane, IRMapping &) {
      Value partner =
          arith::XOrIOp::create(b, loc, lane, small(offset.getZExtValue()));
      Value inside =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, partner,
                                small(width.getZExtValue()));
      Value from = arith::SelectOp::create(b, loc, inside, partner, lane);
      IRMapping partnerRun;
      Value theirs = read(op.getValue(), from, partnerRun);
      memref::StoreOp::create(b, loc, theirs, value, lane);
      memref::StoreOp::create(b, loc, inside, valid, lane);
    });
    slots[op.getShuffleResult()] = value;
    slots[op.getValid()] = valid;
    return success();
  }

  /// mma.sync m16n8k16 row.col, bf16 operands, f32 accumulators, with the
  /// fragment layout of the PTX ISA: lane = 4 * group + t holds A rows
  /// group and group + 8, columns 2t, 2t + 1 (+ 8); B column group, rows
  /// 2t, 2t + 1 (+ 8); C rows group (+ 8), columns 2t, 2t + 1.
  LogicalResult runProduct(NVVM::MmaOp op) {
    NVVM::MMAShapeAttr shape = op.getShapeAttr();
    if (shape.getM() != kProductM || shape.getN() != kProductN ||
        shape.getK() != kProductK ||
        op.getMultiplicandAPtxType() != NVVM::MMATypes::bf16 ||
        op.getMultiplicandBPtxType() != NVVM::MMATypes::bf16 ||
        op.getLayoutA() != NVVM::MMALayout::row ||
        op.getLayoutB() != NVVM::MMALayout::col ||
        op.getOperandC().size() != 4 || !op.getOperandC()[0].getType().isF32())
      return refuse(op, "only m16n8k16 row.col products of bf16 into f32 run "
                        "in lock step");
    for (Operation *user : op.getRes().getUsers())
      if (!isa<LLVM::ExtractValueOp>(user))
        return refuse(user, "a warp matrix product's result must be read by "
                            "llvm.extractvalue");
    FailureOr<SmallVector<Value>> results =
        slotsFor(op, SmallVector<Type>(4, b.getF32Type()));
    if (failed(results))
      return failure();
    eachLane([&](Value lane, IRMapping &run) {
      Fragment at(*this, lane);
      for (int64_t i = 0; i < 4; ++i) {
        Value pair = widenPair(read(op.getOperandA()[i], lane, run));
        Value m = at.plus(at.group, 8 * (i % 2));
        Value k = at.plus(at.twoT, 8 * (i / 2));
        vector::StoreOp::create(b, loc, pair, a, ValueRange{m, k});
      }
      for (int64_t i = 0; i < 2; ++i) {
        Value pair = widenPair(read(op.getOperandB()[i], lane, run));
        Value k = at.plus(at.twoT, 8 * i);
        vector::StoreOp::create(b, loc, pair, bt, ValueRange{at.group, k});
      }
      for (int64_t i = 0; i < 4; ++i)
        memref::StoreOp::create(b, loc, read(op.getOperandC()[i], lane, run), c,
                                at.accumulator(i));
    });
    multiply();
    eachLane([&](Value lane, IRMapping &) {
      Fragment at(*this, lane);
      for (int64_t i = 0; i < 4; ++i) {
        Value sum = memref::LoadOp::create(b, loc, c, at.accumulator(i));
        memref::StoreOp::create(b, loc, sum, (*results)[i], lane);
      }
    });
    products[op.getRes()] = *results;
    return success();
  }

  /// A lane's place in the fragments.
  struct Fragment {
    Lockstep &l;
    Value group, twoT;
    Fragment(Lockstep &l, Value lane) : l(l) {
      group = arith::DivUIOp::create(l.b, l.loc, lane, l.small(4));
      Value t = arith::RemUIOp::create(l.b, l.loc, lane, l.small(4));
      twoT = arith::MulIOp::create(l.b, l.loc, t, l.small(2));
    }
    Value plus(Value v, int64_t d) {
      if (d == 0)
        return v;
      return arith::AddIOp::create(l.b, l.loc, v, l.small(d));
    }
    /// C's row and column of accumulator i.
    SmallVector<Value> accumulator(int64_t i) {
      return {plus(group, 8 * (i / 2)), plus(twoT, i % 2)};
    }
  };

  /// Two bf16 packed in an i32 (the lower half first), as f32. Integer
  /// ops only: bf16 values on the host would make LLVM call soft-float
  /// conversions that the JIT does not provide.
  Value widenPair(Value packed) {
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    Value shift = arith::ConstantIntOp::create(b, loc, i32, 16);
    Value mask =
        arith::ConstantIntOp::create(b, loc, i32, -65536); // 0xffff0000
    Value low = arith::ShLIOp::create(b, loc, packed, shift);
    Value high = arith::AndIOp::create(b, loc, packed, mask);
    Value lowF = arith::BitcastOp::create(b, loc, f32, low);
    Value highF = arith::BitcastOp::create(b, loc, f32, high);
    auto pair = VectorType::get({2}, f32);
    return vector::FromElementsOp::create(b, loc, pair,
                                          ValueRange{lowF, highF});
  }

  /// C[m, n] += sum_k A[m, k] * B[k, n], in the order of k.
  void multiply() {
    Value zero = small(0), one = small(1);
    auto m = scf::ForOp::create(b, loc, zero, small(kProductM), one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(m.getBody());
    auto n = scf::ForOp::create(b, loc, zero, small(kProductN), one);
    b.setInsertionPointToStart(n.getBody());
    Value mi = m.getInductionVar(), ni = n.getInductionVar();
    Value init = memref::LoadOp::create(b, loc, c, ValueRange{mi, ni});
    auto k = scf::ForOp::create(
        b, loc, zero, small(kProductK), one, ValueRange{init},
        [&](OpBuilder &b, Location loc, Value ki, ValueRange acc) {
          Value x = memref::LoadOp::create(b, loc, a, ValueRange{mi, ki});
          Value y = memref::LoadOp::create(b, loc, bt, ValueRange{ni, ki});
          Value xy = arith::MulFOp::create(b, loc, x, y);
          Value sum = arith::AddFOp::create(b, loc, acc[0], xy);
          scf::YieldOp::create(b, loc, sum);
        });
    memref::StoreOp::create(b, loc, k.getResult(0), c, ValueRange{mi, ni});
  }
};

std::optional<int64_t> constantIndex(Value v) {
  APInt value;
  if (!matchPattern(v, m_ConstantInt(&value)))
    return std::nullopt;
  return value.getSExtValue();
}

} // namespace

void moec::lowering::dropVectorAlignment(Operation *copy) {
  copy->walk([](Operation *inner) {
    if (isa<vector::LoadOp, vector::StoreOp>(inner))
      inner->removeAttr("alignment");
  });
}

void moec::lowering::mapBlockValues(gpu::LaunchOp op, ArrayRef<Value> blockIvs,
                                    IRMapping &map) {
  gpu::KernelDim3 blockIds = op.getBlockIds();
  map.map(blockIds.z, blockIvs[0]);
  map.map(blockIds.y, blockIvs[1]);
  map.map(blockIds.x, blockIvs[2]);
  gpu::KernelDim3 grid = op.getGridSizeOperandValues();
  gpu::KernelDim3 block = op.getBlockSizeOperandValues();
  gpu::KernelDim3 gridArgs = op.getGridSize(), blockArgs = op.getBlockSize();
  for (auto [arg, value] : {std::pair{gridArgs.x, grid.x},
                            {gridArgs.y, grid.y},
                            {gridArgs.z, grid.z},
                            {blockArgs.x, block.x},
                            {blockArgs.y, block.y},
                            {blockArgs.z, block.z}})
    map.map(arg, value);
}

bool moec::lowering::needsLockstep(gpu::LaunchOp op) {
  return op.getBody()
      .walk([&](Operation *nested) {
        if (isa<NVVM::MmaOp>(nested) ||
            (isa<gpu::ShuffleOp>(nested) && nested->getParentOp() != op))
          return WalkResult::interrupt();
        return WalkResult::advance();
      })
      .wasInterrupted();
}

LogicalResult moec::lowering::emulateInLockstep(gpu::LaunchOp op) {
  gpu::KernelDim3 grid = op.getGridSizeOperandValues();
  gpu::KernelDim3 block = op.getBlockSizeOperandValues();
  std::optional<int64_t> bx = constantIndex(block.x),
                         by = constantIndex(block.y),
                         bz = constantIndex(block.z);
  if (!bx || !by || !bz || (*bx * *by * *bz) % kWarpSize != 0)
    return refuse(op, "kernels whose warps run in lock step (warp matrix "
                      "products, shuffles in loops or branches) need a "
                      "constant number of threads per block, a multiple of "
                      "32");
  const int64_t warps = *bx * *by * *bz / kWarpSize;

  OpBuilder b(op);
  Location loc = op.getLoc();
  Lockstep step(b, loc);
  Type f32 = b.getF32Type();
  step.a = memref::AllocaOp::create(
      b, loc, MemRefType::get({kProductM, kProductK}, f32));
  step.bt = memref::AllocaOp::create(
      b, loc, MemRefType::get({kProductN, kProductK}, f32));
  step.c = memref::AllocaOp::create(
      b, loc, MemRefType::get({kProductM, kProductN}, f32));

  // Loops over the blocks (z, y, x), then the warps of a block.
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value bounds[4] = {grid.z, grid.y, grid.x,
                     arith::ConstantIndexOp::create(b, loc, warps)};
  Value ivs[4];
  for (int i = 0; i < 4; ++i) {
    auto loop = scf::ForOp::create(b, loc, zero, bounds[i], one);
    if (i == 0)
      step.beforeLoops = loop;
    ivs[i] = loop.getInductionVar();
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }
  mapBlockValues(op, ArrayRef(ivs).take_front(3), step.shared);
  step.threadIds = op.getThreadIds();
  step.blockX = block.x;
  step.blockY = block.y;
  step.warpStart = arith::MulIOp::create(b, loc, ivs[3], step.small(kWarpSize));
  if (failed(step.run(op.getBody().front())))
    return failure();
  op.erase();
  return success();
}
