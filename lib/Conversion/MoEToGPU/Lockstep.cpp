//===- Lockstep.cpp - GPU kernels on the host, a warp at a time -----------===//
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
  /// Each lane's values.
  std::array<IRMapping, kWarpSize> lanes;
  /// The four f32 results of each lane's product (lane * 4 + i), which
  /// llvm.extractvalue reads.
  DenseMap<Value, SmallVector<Value>> products;
  /// Scratch of the products, f32: A [M, K], B transposed [N, K], C [M, N].
  Value a, bt, c;

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  LogicalResult run(Block &block) {
    for (Operation &op : block.without_terminator())
      if (failed(runOp(op)))
        return failure();
    return success();
  }

  LogicalResult runOp(Operation &op) {
    if (auto product = dyn_cast<NVVM::MmaOp>(op))
      return runProduct(product);
    if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op))
      return runShuffle(shuffle);
    if (isa<gpu::BarrierOp>(op))
      return refuse(&op, "barriers are not supported in kernels with warp "
                         "matrix products");
    if (auto extract = dyn_cast<LLVM::ExtractValueOp>(op)) {
      auto it = products.find(extract.getContainer());
      if (it != products.end()) {
        int64_t position = extract.getPosition()[0];
        for (int64_t lane = 0; lane < kWarpSize; ++lane)
          lanes[lane].map(extract.getResult(), it->second[lane * 4 + position]);
        return success();
      }
    }
    if (holdsWarpWide(&op)) {
      if (auto loop = dyn_cast<scf::ForOp>(op))
        return runFor(loop);
      if (auto branch = dyn_cast<scf::IfOp>(op))
        return runIf(branch);
      return refuse(&op, "'") << op.getName()
                              << "' holding warp-wide ops cannot run in "
                                 "lock step";
    }
    WalkResult walk = op.walk([&](Operation *inner) {
      StringRef dialect = inner->getDialect()
                              ? inner->getDialect()->getNamespace()
                              : StringRef();
      if (dialect == "gpu" || dialect == "nvvm" ||
          isa<memref::AllocaOp>(inner)) {
        refuse(inner, "cannot run '") << inner->getName() << "' in lock step";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    if (op.getNumOperands() == 0 && op.hasTrait<OpTrait::ConstantLike>()) {
      Operation *copy = b.clone(op, lanes[0]);
      for (int64_t lane = 1; lane < kWarpSize; ++lane)
        lanes[lane].map(op.getResults(), copy->getResults());
      return success();
    }
    for (IRMapping &lane : lanes)
      dropVectorAlignment(b.clone(op, lane));
    return success();
  }

  /// A warp-uniform loop: lane 0's bounds, every lane's loop-carried values.
  LogicalResult runFor(scf::ForOp op) {
    IRMapping &first = lanes[0];
    SmallVector<Value> inits;
    for (IRMapping &lane : lanes)
      for (Value init : op.getInitArgs())
        inits.push_back(lane.lookupOrDefault(init));
    Value lb = first.lookupOrDefault(op.getLowerBound());
    Value ub = first.lookupOrDefault(op.getUpperBound());
    Value step = first.lookupOrDefault(op.getStep());
    auto loop = scf::ForOp::create(b, loc, lb, ub, step, inits);
    const unsigned n = op.getNumRegionIterArgs();
    for (auto [l, lane] : llvm::enumerate(lanes)) {
      lane.map(op.getInductionVar(), loop.getInductionVar());
      for (unsigned i = 0; i < n; ++i)
        lane.map(op.getRegionIterArgs()[i],
                 loop.getRegionIterArgs()[l * n + i]);
    }
    {
      OpBuilder::InsertionGuard guard(b);
      Block *body = loop.getBody();
      if (!body->empty() && body->back().hasTrait<OpTrait::IsTerminator>())
        b.setInsertionPoint(&body->back());
      else
        b.setInsertionPointToEnd(body);
      if (failed(run(*op.getBody())))
        return failure();
      if (n != 0)
        scf::YieldOp::create(b, loc, yielded(op.getBody()));
    }
    for (auto [l, lane] : llvm::enumerate(lanes))
      for (unsigned i = 0; i < n; ++i)
        lane.map(op.getResult(i), loop.getResult(l * n + i));
    return success();
  }

  /// A warp-uniform branch: lane 0's condition.
  LogicalResult runIf(scf::IfOp op) {
    SmallVector<Type> types;
    for (int64_t lane = 0; lane < kWarpSize; ++lane)
      llvm::append_range(types, op.getResultTypes());
    Value cond = lanes[0].lookupOrDefault(op.getCondition());
    auto branch = scf::IfOp::create(b, loc, types, cond,
                                    /*withElseRegion=*/true);
    for (auto [from, to] :
         {std::pair{&op.getThenRegion(), &branch.getThenRegion()},
          {&op.getElseRegion(), &branch.getElseRegion()}}) {
      OpBuilder::InsertionGuard guard(b);
      Block *block = &to->front();
      if (!block->empty() && block->back().hasTrait<OpTrait::IsTerminator>())
        b.setInsertionPoint(&block->back());
      else
        b.setInsertionPointToEnd(block);
      if (from->empty())
        continue;
      if (failed(run(from->front())))
        return failure();
      if (!types.empty())
        scf::YieldOp::create(b, loc, yielded(&from->front()));
    }
    const unsigned n = op.getNumResults();
    for (auto [l, lane] : llvm::enumerate(lanes))
      for (unsigned i = 0; i < n; ++i)
        lane.map(op.getResult(i), branch.getResult(l * n + i));
    return success();
  }

  /// Every lane's operands of the block's scf.yield.
  SmallVector<Value> yielded(Block *block) {
    SmallVector<Value> values;
    for (IRMapping &lane : lanes)
      for (Value v : block->getTerminator()->getOperands())
        values.push_back(lane.lookupOrDefault(v));
    return values;
  }

  /// A shuffle of lane i reads lane i xor offset (shfl.sync.bfly).
  LogicalResult runShuffle(gpu::ShuffleOp op) {
    APInt offset, width;
    if (op.getMode() != gpu::ShuffleMode::XOR ||
        !matchPattern(lanes[0].lookupOrDefault(op.getOffset()),
                      m_ConstantInt(&offset)) ||
        !matchPattern(lanes[0].lookupOrDefault(op.getWidth()),
                      m_ConstantInt(&width)))
      return refuse(op, "only xor shuffles of constant offset and width run "
                        "in lock step");
    for (int64_t lane = 0; lane < kWarpSize; ++lane) {
      int64_t partner = lane ^ offset.getZExtValue();
      bool valid = partner < static_cast<int64_t>(width.getZExtValue());
      Value theirs =
          lanes[valid ? partner : lane].lookupOrDefault(op.getValue());
      lanes[lane].map(op.getShuffleResult(), theirs);
      lanes[lane].map(op.getValid(),
                      arith::ConstantIntOp::create(b, loc, valid, 1));
    }
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
    for (int64_t lane = 0; lane < kWarpSize; ++lane) {
      IRMapping &map = lanes[lane];
      const int64_t group = lane / 4, t = lane % 4;
      for (int64_t i = 0; i < 4; ++i) {
        Value pair = widenPair(map.lookupOrDefault(op.getOperandA()[i]));
        Value m = index(group + 8 * (i % 2)), k = index(2 * t + 8 * (i / 2));
        vector::StoreOp::create(b, loc, pair, a, ValueRange{m, k});
      }
      for (int64_t i = 0; i < 2; ++i) {
        Value pair = widenPair(map.lookupOrDefault(op.getOperandB()[i]));
        Value n = index(group), k = index(2 * t + 8 * i);
        vector::StoreOp::create(b, loc, pair, bt, ValueRange{n, k});
      }
      for (int64_t i = 0; i < 4; ++i) {
        Value value = map.lookupOrDefault(op.getOperandC()[i]);
        memref::StoreOp::create(b, loc, value, c, cIndices(lane, i));
      }
    }
    multiply();
    SmallVector<Value> results;
    for (int64_t lane = 0; lane < kWarpSize; ++lane)
      for (int64_t i = 0; i < 4; ++i)
        results.push_back(memref::LoadOp::create(b, loc, c, cIndices(lane, i)));
    products[op.getRes()] = std::move(results);
    return success();
  }

  SmallVector<Value> cIndices(int64_t lane, int64_t i) {
    const int64_t group = lane / 4, t = lane % 4;
    return {index(group + 8 * (i / 2)), index(2 * t + i % 2)};
  }

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
    Value zero = index(0), one = index(1);
    auto m = scf::ForOp::create(b, loc, zero, index(kProductM), one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(m.getBody());
    auto n = scf::ForOp::create(b, loc, zero, index(kProductN), one);
    b.setInsertionPointToStart(n.getBody());
    Value mi = m.getInductionVar(), ni = n.getInductionVar();
    Value init = memref::LoadOp::create(b, loc, c, ValueRange{mi, ni});
    auto k = scf::ForOp::create(
        b, loc, zero, index(kProductK), one, ValueRange{init},
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

bool moec::lowering::needsLockstep(gpu::LaunchOp op) {
  return op.getBody()
      .walk([](NVVM::MmaOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

LogicalResult moec::lowering::emulateInLockstep(gpu::LaunchOp op) {
  gpu::KernelDim3 grid = op.getGridSizeOperandValues();
  gpu::KernelDim3 block = op.getBlockSizeOperandValues();
  std::optional<int64_t> bx = constantIndex(block.x),
                         by = constantIndex(block.y),
                         bz = constantIndex(block.z);
  if (!bx || !by || !bz || (*bx * *by * *bz) % kWarpSize != 0)
    return refuse(op, "kernels with warp matrix products need a constant "
                      "number of threads per block, a multiple of 32");
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
  Value zero = step.index(0), one = step.index(1);
  Value bounds[4] = {grid.z, grid.y, grid.x, step.index(warps)};
  Value ivs[4];
  for (int i = 0; i < 4; ++i) {
    auto loop = scf::ForOp::create(b, loc, zero, bounds[i], one);
    ivs[i] = loop.getInductionVar();
    b.setInsertionPointToStart(loop.getBody());
  }
  gpu::KernelDim3 blockIds = op.getBlockIds(), threadIds = op.getThreadIds();
  gpu::KernelDim3 gridArgs = op.getGridSize(), blockArgs = op.getBlockSize();
  Value warpStart =
      arith::MulIOp::create(b, loc, ivs[3], step.index(kWarpSize));
  for (int64_t lane = 0; lane < kWarpSize; ++lane) {
    IRMapping &map = step.lanes[lane];
    map.map(blockIds.z, ivs[0]);
    map.map(blockIds.y, ivs[1]);
    map.map(blockIds.x, ivs[2]);
    for (auto [arg, value] : {std::pair{gridArgs.x, grid.x},
                              {gridArgs.y, grid.y},
                              {gridArgs.z, grid.z},
                              {blockArgs.x, block.x},
                              {blockArgs.y, block.y},
                              {blockArgs.z, block.z}})
      map.map(arg, value);
    Value linear = arith::AddIOp::create(b, loc, warpStart, step.index(lane));
    Value x = arith::RemUIOp::create(b, loc, linear, block.x);
    Value rest = arith::DivUIOp::create(b, loc, linear, block.x);
    Value y = arith::RemUIOp::create(b, loc, rest, block.y);
    Value z = arith::DivUIOp::create(b, loc, rest, block.y);
    map.map(threadIds.x, x);
    map.map(threadIds.y, y);
    map.map(threadIds.z, z);
  }
  if (failed(step.run(op.getBody().front())))
    return failure();
  op.erase();
  return success();
}
