//===- PredicateLaunches.cpp - the moe-gpu-predicate-launches pass --------===//
#include "moec/Conversion/MoEToGPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace moec {
#define GEN_PASS_DEF_MOEGPUPREDICATELAUNCHES
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

/// Whether `block` holds only launches and host code that may run whether
/// or not the branch is taken.
bool onlyLaunchesAndPureCode(Block *block) {
  return llvm::all_of(block->without_terminator(), [](Operation &op) {
    return isa<gpu::LaunchOp>(op) || (op.getNumRegions() == 0 && isPure(&op));
  });
}

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
