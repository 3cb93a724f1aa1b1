//===- LaunchToLoops.cpp - the moe-gpu-launch-to-loops pass ---------------===//
//
// Runs GPU kernels on the host: each gpu.launch becomes sequential loops
// over its blocks and threads, which the CPU pipeline then compiles. This
// checks the GPU lowering's arithmetic on machines without a GPU.
//
// Threads cannot simply run one after another where they meet: at a
// barrier, or at a warp shuffle, which reads another lane's value. So the
// kernel body is cut there into pieces (loop fission): each block runs
// every thread through one piece before any thread starts the next. A
// thread's values that live from one piece into a later one are kept in a
// per-thread slot; a run of shuffles becomes a loop that reads the partner
// lane's slot. The cuts must be at the top level of the kernel, where
// every thread of the block reaches them, as the GPU requires anyway.
// Between cuts each thread writes its own outputs, so this order gives
// exactly the GPU's results.
//
//===----------------------------------------------------------------------===//
#include "Launch.h"
#include "Lockstep.h"

#include "moec/Conversion/MoEToGPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace moec {
#define GEN_PASS_DEF_MOEGPULAUNCHTOLOOPS
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

/// Ops of the kernel body between cuts, or one cut: a run of independent
/// shuffles, or a barrier.
struct Piece {
  enum Kind { Threads, Shuffles, Barrier } kind;
  SmallVector<Operation *> ops;
};

bool isConstant(Operation *op) {
  return op->getNumOperands() == 0 && op->hasTrait<OpTrait::ConstantLike>();
}

/// Refuses what cannot run a thread at a time: GPU and NVVM ops other than
/// xor shuffles and barriers, and those two below the top level.
LogicalResult checkBody(Block &body) {
  WalkResult walk = body.walk([&](Operation *inner) {
    StringRef dialect =
        inner->getDialect() ? inner->getDialect()->getNamespace() : StringRef();
    if (dialect != "gpu" && dialect != "nvvm")
      return WalkResult::advance();
    if (isa<gpu::TerminatorOp>(inner))
      return WalkResult::advance();
    auto shuffle = dyn_cast<gpu::ShuffleOp>(inner);
    bool cut = isa<gpu::BarrierOp>(inner) ||
               (shuffle && shuffle.getMode() == gpu::ShuffleMode::XOR);
    if (!cut) {
      inner->emitError("moe-gpu-launch-to-loops: cannot run '")
          << inner->getName() << "' one thread at a time";
      return WalkResult::interrupt();
    }
    if (inner->getBlock() != &body) {
      inner->emitError("moe-gpu-launch-to-loops: '")
          << inner->getName()
          << "' must be at the top level of the kernel, where every thread "
             "reaches it";
      return WalkResult::interrupt();
    }
    if (shuffle && isa<BlockArgument>(shuffle.getValue())) {
      inner->emitError("moe-gpu-launch-to-loops: shuffles of the launch's "
                       "ids are not supported");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

SmallVector<Piece> cutIntoPieces(Block &body,
                                 DenseMap<Operation *, unsigned> &pieceOf) {
  SmallVector<Piece> pieces;
  for (Operation &inner : body.without_terminator()) {
    Piece::Kind kind = isa<gpu::ShuffleOp>(inner)   ? Piece::Shuffles
                       : isa<gpu::BarrierOp>(inner) ? Piece::Barrier
                                                    : Piece::Threads;
    // Constants are cloned where they are used, so they do not break a run
    // of shuffles.
    if (isConstant(&inner) && !pieces.empty()) {
      pieces.back().ops.push_back(&inner);
      pieceOf[&inner] = pieces.size() - 1;
      continue;
    }
    bool join =
        !pieces.empty() && pieces.back().kind == kind && kind != Piece::Barrier;
    // A shuffle of another shuffle's result in the same run needs a cut of
    // its own.
    if (join && kind == Piece::Shuffles)
      for (Value operand : inner.getOperands()) {
        auto it = pieceOf.find(operand.getDefiningOp());
        if (it != pieceOf.end() && it->second == pieces.size() - 1)
          join = false;
      }
    if (!join)
      pieces.push_back({kind, {}});
    pieces.back().ops.push_back(&inner);
    pieceOf[&inner] = pieces.size() - 1;
  }
  return pieces;
}

struct Emulation {
  Emulation(OpBuilder &b, Location loc, Block &body,
            const DenseMap<Operation *, unsigned> &pieceOf)
      : b(b), loc(loc), body(body), pieceOf(pieceOf) {}

  OpBuilder &b;
  Location loc;
  Block &body;
  const DenseMap<Operation *, unsigned> &pieceOf;
  /// The per-thread slots of values that live into later pieces.
  DenseMap<Value, Value> slots;
  /// Block ids and the launch's sizes.
  IRMapping base;

  /// Makes `v` (defined at the top level of the kernel, in an earlier
  /// piece) available in `map` for the thread `linear`.
  void bring(Value v, Value linear, IRMapping &map) {
    if (map.contains(v))
      return;
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != &body)
      return;
    if (isConstant(def)) {
      b.clone(*def, map);
      return;
    }
    map.map(v, memref::LoadOp::create(b, loc, slots.lookup(v), linear));
  }

  /// Brings every value the ops of a piece use from earlier pieces, and
  /// the piece's own constants unless the piece clones its ops itself.
  void bringUses(ArrayRef<Operation *> ops, unsigned piece, Value linear,
                 IRMapping &map, bool cloneOwn) {
    for (Operation *op : ops)
      op->walk([&](Operation *inner) {
        for (Value operand : inner->getOperands()) {
          Operation *def = operand.getDefiningOp();
          if (!def || def->getBlock() != &body)
            continue;
          if (pieceOf.lookup(def) < piece || (isConstant(def) && !cloneOwn))
            bring(operand, linear, map);
        }
      });
  }

  void keep(Operation *op, Value linear, IRMapping &map) {
    for (Value result : op->getResults())
      if (Value slot = slots.lookup(result))
        memref::StoreOp::create(b, loc, map.lookupOrDefault(result), slot,
                                linear);
  }
};

struct MoEGPULaunchToLoops
    : moec::impl::MoEGPULaunchToLoopsBase<MoEGPULaunchToLoops> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation()->walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    for (gpu::LaunchOp op : launches) {
      if (failed(emulate(op)))
        return signalPassFailure();
    }
  }

  static LogicalResult emulate(gpu::LaunchOp op) {
    if (op.getAsyncToken() || op.getDynamicSharedMemorySize() ||
        !op.getWorkgroupAttributions().empty() ||
        !op.getPrivateAttributions().empty() || op.hasClusterSize())
      return op.emitError("moe-gpu-launch-to-loops: only synchronous "
                          "launches without shared memory run on the host");
    if (!op.getBody().hasOneBlock())
      return op.emitError("moe-gpu-launch-to-loops: expected a kernel body "
                          "of one block (structured control flow)");
    if (moec::lowering::needsLockstep(op))
      return moec::lowering::emulateInLockstep(op);
    Block &body = op.getBody().front();
    if (failed(checkBody(body)))
      return failure();
    DenseMap<Operation *, unsigned> pieceOf;
    SmallVector<Piece> pieces = cutIntoPieces(body, pieceOf);

    OpBuilder b(op);
    Location loc = op.getLoc();
    gpu::KernelDim3 grid = op.getGridSizeOperandValues();
    gpu::KernelDim3 block = op.getBlockSizeOperandValues();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value planeThreads = arith::MulIOp::create(b, loc, block.x, block.y);
    Value threads = arith::MulIOp::create(b, loc, planeThreads, block.z);

    Emulation em(b, loc, body, pieceOf);
    // Slots for the values that live from one piece into a later one, one
    // per thread of a block (blocks run one after another).
    for (const Piece &piece : pieces)
      for (Operation *inner : piece.ops) {
        if (isConstant(inner))
          continue;
        for (Value result : inner->getResults()) {
          bool livesOn = llvm::any_of(result.getUsers(), [&](Operation *user) {
            Operation *top = body.findAncestorOpInBlock(*user);
            return top && pieceOf.lookup(top) != pieceOf.lookup(inner);
          });
          if (!livesOn)
            continue;
          if (isa<MemRefType>(result.getType()))
            return inner->emitError(
                "moe-gpu-launch-to-loops: a thread's private array cannot "
                "live across a shuffle or barrier");
          if (!MemRefType::isValidElementType(result.getType()))
            return inner->emitError("moe-gpu-launch-to-loops: a value of type ")
                   << result.getType()
                   << " cannot live across a shuffle or barrier";
          auto slotType =
              MemRefType::get({ShapedType::kDynamic}, result.getType());
          em.slots[result] =
              memref::AllocaOp::create(b, loc, slotType, ValueRange{threads});
        }
      }

    // Loops over the blocks (z, y, x).
    Value blockIvs[3];
    Value blockBounds[3] = {grid.z, grid.y, grid.x};
    scf::ForOp outermost;
    for (int i = 0; i < 3; ++i) {
      auto loop = scf::ForOp::create(b, loc, zero, blockBounds[i], one);
      if (i == 0)
        outermost = loop;
      blockIvs[i] = loop.getInductionVar();
      b.setInsertionPointToStart(loop.getBody());
    }
    gpu::KernelDim3 threadIds = op.getThreadIds();
    moec::lowering::mapBlockValues(op, blockIvs, em.base);

    for (auto [index, piece] : llvm::enumerate(pieces)) {
      OpBuilder::InsertionGuard guard(b);
      if (piece.kind == Piece::Barrier)
        continue;
      if (piece.kind == Piece::Shuffles) {
        emitShuffles(em, piece, index, threads, zero, one);
        continue;
      }
      // Loops over the threads (z, y, x).
      Value threadIvs[3];
      Value threadBounds[3] = {block.z, block.y, block.x};
      for (int i = 0; i < 3; ++i) {
        auto loop = scf::ForOp::create(b, loc, zero, threadBounds[i], one);
        threadIvs[i] = loop.getInductionVar();
        b.setInsertionPointToStart(loop.getBody());
      }
      IRMapping map = em.base;
      map.map(threadIds.z, threadIvs[0]);
      map.map(threadIds.y, threadIvs[1]);
      map.map(threadIds.x, threadIvs[2]);
      Value linear;
      if (!em.slots.empty()) {
        Value plane = arith::MulIOp::create(b, loc, threadIvs[0], block.y);
        Value row = arith::AddIOp::create(b, loc, plane, threadIvs[1]);
        Value rowStart = arith::MulIOp::create(b, loc, row, block.x);
        linear = arith::AddIOp::create(b, loc, rowStart, threadIvs[2]);
      }
      em.bringUses(piece.ops, index, linear, map, /*cloneOwn=*/true);
      for (Operation *inner : piece.ops) {
        Operation *copy = b.clone(*inner, map);
        hoistPrivateArrays(copy, outermost);
        moec::lowering::dropVectorAlignment(copy);
        em.keep(inner, linear, map);
      }
    }
    op.erase();
    return success();
  }

  /// A run of xor shuffles: each thread reads its partner lane's value from
  /// the slots the previous piece filled, as shfl.sync.bfly does.
  static void emitShuffles(Emulation &em, const Piece &piece, unsigned index,
                           Value threads, Value zero, Value one) {
    OpBuilder &b = em.b;
    Location loc = em.loc;
    auto loop = scf::ForOp::create(b, loc, zero, threads, one);
    b.setInsertionPointToStart(loop.getBody());
    Value linear = loop.getInductionVar();
    Value warpSize =
        arith::ConstantIndexOp::create(b, loc, moec::lowering::kWarpSize);
    Value lane = arith::RemUIOp::create(b, loc, linear, warpSize);
    Value warpStart = arith::SubIOp::create(b, loc, linear, lane);
    Type i32 = b.getI32Type();
    Value laneI32 = arith::IndexCastOp::create(b, loc, i32, lane);
    IRMapping map = em.base;
    em.bringUses(piece.ops, index, linear, map, /*cloneOwn=*/false);
    for (Operation *inner : piece.ops) {
      auto shuffle = dyn_cast<gpu::ShuffleOp>(inner);
      if (!shuffle)
        continue;
      Value own = map.lookupOrDefault(shuffle.getValue());
      Value offset = map.lookupOrDefault(shuffle.getOffset());
      Value width = map.lookupOrDefault(shuffle.getWidth());
      Value partnerLane = arith::XOrIOp::create(b, loc, laneI32, offset);
      Value inWidth = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            partnerLane, width);
      Value partnerIndex =
          arith::IndexCastOp::create(b, loc, b.getIndexType(), partnerLane);
      Value partner = arith::AddIOp::create(b, loc, warpStart, partnerIndex);
      // A partial last warp has no lanes past the block's threads.
      Value inBlock = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            partner, threads);
      Value valid = arith::AndIOp::create(b, loc, inWidth, inBlock);
      Value source = arith::SelectOp::create(b, loc, valid, partner, linear);
      Value theirs = own;
      if (Value slot = em.slots.lookup(shuffle.getValue()))
        theirs = memref::LoadOp::create(b, loc, slot, source);
      map.map(shuffle.getShuffleResult(), theirs);
      map.map(shuffle.getValid(), valid);
      em.keep(inner, linear, map);
    }
  }

  /// A thread's fixed-size private arrays are set before they are read, so
  /// threads that run one after another can share them: allocated once,
  /// outside the loops, they do not grow the stack per thread. (Those under
  /// a loop of the kernel stay where they are.)
  static void hoistPrivateArrays(Operation *copy, scf::ForOp outermost) {
    SmallVector<memref::AllocaOp> hoisted;
    copy->walk([&](memref::AllocaOp alloca) {
      if (alloca->getNumOperands() != 0)
        return;
      for (Operation *p = alloca->getParentOp(); p != copy->getParentOp();
           p = p->getParentOp())
        if (isa<LoopLikeOpInterface>(p))
          return;
      hoisted.push_back(alloca);
    });
    for (memref::AllocaOp alloca : hoisted)
      alloca->moveBefore(outermost);
  }
};

} // namespace
