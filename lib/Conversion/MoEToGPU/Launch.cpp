//===- Launch.cpp - kernels as gpu.launch over index spaces ---------------===//
#include "Launch.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

using namespace mlir;
using namespace moec::lowering;

namespace {

/// gpu.launch of grid x block (x, y), the body built by `body` with the
/// block and thread ids.
void launch(Emitter &e, StringRef name, Value gridX, Value gridY, Value blockX,
            function_ref<void(Emitter &, gpu::LaunchOp)> body) {
  Value one = e.index(1);
  auto function = FlatSymbolRefAttr::get(e.b.getContext(), "moe_" + name.str());
  auto op = gpu::LaunchOp::create(
      e.b, e.loc, gridX, gridY, one, blockX, one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, /*workgroupAttributions=*/{},
      /*privateAttributions=*/{}, /*clusterSizeX=*/nullptr,
      /*clusterSizeY=*/nullptr, /*clusterSizeZ=*/nullptr, /*module=*/nullptr,
      function);
  OpBuilder::InsertionGuard guard(e.b);
  e.b.setInsertionPointToStart(&op.getBody().front());
  Emitter inside{e.b, e.loc};
  body(inside, op);
  gpu::TerminatorOp::create(e.b, e.loc);
}

} // namespace

Value moec::lowering::ceilDiv(Emitter &e, Value n, Value d) {
  Value rounded = e.add(n, e.sub(d, e.index(1)));
  return e.div(rounded, d);
}

Value moec::lowering::ceilDiv(Emitter &e, Value n, int64_t d) {
  Value rounded = e.add(n, e.index(d - 1));
  return e.div(rounded, e.index(d));
}

void moec::lowering::launchPerItem(Emitter &e, StringRef name, Value n,
                                   function_ref<void(Emitter &, Value)> body) {
  Value blocks = ceilDiv(e, n, kThreadsPerBlock);
  Value one = e.index(1), threads = e.index(kThreadsPerBlock);
  launch(e, name, blocks, one, threads, [&](Emitter &e, gpu::LaunchOp op) {
    Value base = e.mul(op.getBlockIds().x, e.index(kThreadsPerBlock));
    Value i = e.add(base, op.getThreadIds().x);
    e.when(e.cmpi(arith::CmpIPredicate::ult, i, n),
           [&](Emitter &e) { body(e, i); });
  });
}

void moec::lowering::launchPerCell(
    Emitter &e, StringRef name, Value rows, Value cols,
    function_ref<void(Emitter &, Value, Value)> body) {
  Value columnBlocks = ceilDiv(e, cols, kThreadsPerBlock);
  Value threads = e.index(kThreadsPerBlock);
  launch(e, name, rows, columnBlocks, threads,
         [&](Emitter &e, gpu::LaunchOp op) {
           Value base = e.mul(op.getBlockIds().y, e.index(kThreadsPerBlock));
           Value col = e.add(base, op.getThreadIds().x);
           Value row = op.getBlockIds().x;
           e.when(e.cmpi(arith::CmpIPredicate::ult, col, cols),
                  [&](Emitter &e) { body(e, row, col); });
         });
}

void moec::lowering::launchWarpPerCell(
    Emitter &e, StringRef name, Value rows, Value cells,
    function_ref<void(Emitter &, const WarpCell &)> body) {
  constexpr int64_t warpsPerBlock = kThreadsPerBlock / kWarpSize;
  Value cellBlocks = ceilDiv(e, cells, warpsPerBlock);
  Value threads = e.index(kThreadsPerBlock);
  launch(e, name, rows, cellBlocks, threads, [&](Emitter &e, gpu::LaunchOp op) {
    Value tid = op.getThreadIds().x;
    Value warpSize = e.index(kWarpSize);
    Value warp = e.div(tid, warpSize);
    Value lane = e.rem(tid, warpSize);
    Value base = e.mul(op.getBlockIds().y, e.index(warpsPerBlock));
    Value cell = e.add(base, warp);
    Value real = e.cmpi(arith::CmpIPredicate::ult, cell, cells);
    Value last = e.sub(cells, e.index(1));
    Value clamped = e.minIndex(cell, last);
    body(e, WarpCell{op.getBlockIds().x, clamped, lane, real});
  });
}

SmallVector<Value> moec::lowering::warpSum(Emitter &e, ValueRange values) {
  SmallVector<Value> sums(values);
  for (int32_t offset = kWarpSize / 2; offset >= 1; offset /= 2) {
    // All shuffles of a level first: they are independent.
    SmallVector<Value> theirs;
    for (Value v : sums)
      theirs.push_back(gpu::ShuffleOp::create(e.b, e.loc, v, offset, kWarpSize,
                                              gpu::ShuffleMode::XOR)
                           .getShuffleResult());
    for (auto [sum, other] : llvm::zip_equal(sums, theirs))
      sum = e.add(sum, other);
  }
  return sums;
}

void moec::lowering::launchBlock(Emitter &e, StringRef name, int64_t threads,
                                 function_ref<void(Emitter &, Value)> body) {
  assert(threads >= 1 && threads <= kMaxThreadsPerBlock);
  Value one = e.index(1), count = e.index(threads);
  launch(e, name, one, one, count,
         [&](Emitter &e, gpu::LaunchOp op) { body(e, op.getThreadIds().x); });
}

void moec::lowering::blockBarrier(Emitter &e) {
  gpu::BarrierOp::create(e.b, e.loc);
}

void moec::lowering::launchSingle(Emitter &e, StringRef name,
                                  function_ref<void(Emitter &)> body) {
  Value one = e.index(1);
  launch(e, name, one, one, one, [&](Emitter &e, gpu::LaunchOp) { body(e); });
}
