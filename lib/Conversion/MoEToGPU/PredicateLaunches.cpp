//===- PredicateLaunches.cpp - the moe-gpu-predicate-launches pass --------===//
#include "moec/Conversion/MoEToGPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace moec {
#define GEN_PASS_DEF_MOEGPUPREDICATELAUNCHES
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

/// Whether `block` holds only launches (of structured kernel bodies, one
/// block each) and host code that may run whether or not the branch is
/// taken.
bool onlyLaunchesAndPureCode(Block *block) {
  return llvm::all_of(block->without_terminator(), [](Operation &op) {
    if (auto launch = dyn_cast<gpu::LaunchOp>(op))
      return launch.getBody().hasOneBlock();
    return op.getNumRegions() == 0 && isPure(&op);
  });
}

/// Whether `branch` launches a kernel, directly or in a nested branch.
bool launches(scf::IfOp branch) {
  return branch->walk([](gpu::LaunchOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// `launch` over one block where `on` fails, its body run where `on` holds.
void predicate(gpu::LaunchOp launch, Value on) {
  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  for (OpOperand *size :
       {&launch.getGridSizeXMutable(), &launch.getGridSizeYMutable(),
        &launch.getGridSizeZMutable()})
    size->set(arith::SelectOp::create(b, loc, on, size->get(), one));

  Block &body = launch.getBody().front();
  Operation *terminator = body.getTerminator();
  b.setInsertionPointToStart(&body);
  auto guard = scf::IfOp::create(b, loc, on, /*withElseRegion=*/false);
  Operation *yield = guard.thenBlock()->getTerminator();
  for (Operation &op : llvm::make_early_inc_range(llvm::make_range(
           std::next(guard->getIterator()), terminator->getIterator())))
    op.moveBefore(yield);
}

/// Moves `block`'s code before `branch`, predicating its launches on `on`.
void hoist(Block *block, scf::IfOp branch, Value on) {
  for (Operation &op :
       llvm::make_early_inc_range(block->without_terminator())) {
    op.moveBefore(branch);
    if (auto launch = dyn_cast<gpu::LaunchOp>(op))
      predicate(launch, on);
  }
}

SmallVector<gpu::LaunchOp> launchesOf(Block *block) {
  return llvm::to_vector(block->getOps<gpu::LaunchOp>());
}

bool sameIndex(Value a, Value b) {
  std::optional<int64_t> x = getConstantIntValue(a), y = getConstantIntValue(b);
  return a == b || (x && y && *x == *y);
}

/// Whether two launches can be one: plain synchronous launches of one-block
/// bodies over equal blocks of threads.
bool mergeable(gpu::LaunchOp a, gpu::LaunchOp b) {
  auto plain = [](gpu::LaunchOp op) {
    return !op.getAsyncToken() && op.getAsyncDependencies().empty() &&
           !op.getDynamicSharedMemorySize() &&
           op.getWorkgroupAttributions().empty() &&
           op.getPrivateAttributions().empty() && !op.hasClusterSize() &&
           op.getBody().hasOneBlock();
  };
  return plain(a) && plain(b) &&
         sameIndex(a.getBlockSizeX(), b.getBlockSizeX()) &&
         sameIndex(a.getBlockSizeY(), b.getBlockSizeY()) &&
         sameIndex(a.getBlockSizeZ(), b.getBlockSizeZ());
}

/// The name both kernels start with (the forms of one product:
/// `moe_linear_tiles` and `moe_linear` give `moe_linear`), else `a`'s.
FlatSymbolRefAttr commonName(gpu::LaunchOp a, gpu::LaunchOp b) {
  if (!a.getFunctionAttr() || !b.getFunctionAttr())
    return a.getFunctionAttr();
  StringRef x = a.getFunctionAttr().getValue(),
            y = b.getFunctionAttr().getValue();
  size_t n = 0;
  while (n < x.size() && n < y.size() && x[n] == y[n])
    ++n;
  StringRef prefix = x.take_front(n).rtrim('_');
  if (prefix.empty())
    return a.getFunctionAttr();
  return FlatSymbolRefAttr::get(a.getContext(), prefix);
}

/// Moves `from`'s body before the terminator of `to`, its ids and sizes
/// becoming those of `into`.
void moveBody(gpu::LaunchOp from, Block *to, gpu::LaunchOp into) {
  Block &body = from.getBody().front();
  for (auto [old, now] : llvm::zip_equal(body.getArguments(),
                                         into.getBody().front().getArguments()))
    old.replaceAllUsesWith(now);
  Operation *end = to->getTerminator();
  for (Operation &op : llvm::make_early_inc_range(body.without_terminator()))
    op.moveBefore(end);
}

/// Launch `a` where `on` holds, else `b`, as one launch before `branch` over
/// the grid of the one chosen, whose body makes the same choice.
void merge(scf::IfOp branch, Value on, gpu::LaunchOp a, gpu::LaunchOp b) {
  OpBuilder builder(branch);
  Location loc = a.getLoc();
  auto pick = [&](Value x, Value y) {
    return arith::SelectOp::create(builder, loc, on, x, y).getResult();
  };
  Value gridX = pick(a.getGridSizeX(), b.getGridSizeX());
  Value gridY = pick(a.getGridSizeY(), b.getGridSizeY());
  Value gridZ = pick(a.getGridSizeZ(), b.getGridSizeZ());
  auto merged = gpu::LaunchOp::create(
      builder, loc, gridX, gridY, gridZ, a.getBlockSizeX(), a.getBlockSizeY(),
      a.getBlockSizeZ(),
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, /*workgroupAttributions=*/{},
      /*privateAttributions=*/{}, /*clusterSizeX=*/nullptr,
      /*clusterSizeY=*/nullptr, /*clusterSizeZ=*/nullptr, /*module=*/nullptr,
      commonName(a, b));
  Block &body = merged.getBody().front();
  builder.setInsertionPointToStart(&body);
  auto choice = scf::IfOp::create(builder, loc, on, /*withElseRegion=*/true);
  moveBody(a, choice.thenBlock(), merged);
  moveBody(b, choice.elseBlock(), merged);
  builder.setInsertionPointToEnd(&body);
  gpu::TerminatorOp::create(builder, loc);
  a.erase();
  b.erase();
}

/// Where `branch` launches as many kernels either way, the i-th of each side
/// mergeable with the other's, replaces it by the merged launches in order
/// (one side's sequence runs, so pairing them keeps its order) and returns
/// true.
bool mergeBranch(scf::IfOp branch) {
  if (!branch.elseBlock())
    return false;
  SmallVector<gpu::LaunchOp> then = launchesOf(branch.thenBlock()),
                             otherwise = launchesOf(branch.elseBlock());
  if (then.empty() || then.size() != otherwise.size())
    return false;
  for (auto [a, b] : llvm::zip_equal(then, otherwise))
    if (!mergeable(a, b))
      return false;
  for (Block *block : {branch.thenBlock(), branch.elseBlock()})
    for (Operation &op :
         llvm::make_early_inc_range(block->without_terminator()))
      if (!isa<gpu::LaunchOp>(op))
        op.moveBefore(branch);
  Value on = branch.getCondition();
  for (auto [a, b] : llvm::zip_equal(then, otherwise))
    merge(branch, on, a, b);
  branch.erase();
  return true;
}

struct MoEGPUPredicateLaunches
    : moec::impl::MoEGPUPredicateLaunchesBase<MoEGPUPredicateLaunches> {
  using Base::Base;
  void runOnOperation() override {
    // Post-order: an inner branch is gone before its outer one is looked at.
    SmallVector<scf::IfOp> branches;
    getOperation().walk([&](scf::IfOp branch) {
      if (branch->getParentOfType<gpu::LaunchOp>())
        return;
      if (branch.getNumResults() == 0 && launches(branch))
        branches.push_back(branch);
    });
    for (scf::IfOp branch : branches) {
      if (!onlyLaunchesAndPureCode(branch.thenBlock()) ||
          (branch.elseBlock() && !onlyLaunchesAndPureCode(branch.elseBlock())))
        continue;
      if (mergeBranch(branch))
        continue;
      Value on = branch.getCondition();
      hoist(branch.thenBlock(), branch, on);
      if (Block *otherwise = branch.elseBlock()) {
        OpBuilder b(branch);
        Value yes = arith::ConstantIntOp::create(b, branch.getLoc(), 1, 1);
        Value off = arith::XOrIOp::create(b, branch.getLoc(), on, yes);
        hoist(otherwise, branch, off);
      }
      branch.erase();
    }
  }
};

} // namespace
