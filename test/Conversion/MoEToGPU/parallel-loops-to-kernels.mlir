// RUN: moe-opt %s --split-input-file --moe-gpu-parallel-loops-to-kernels --canonicalize --verify-diagnostics | FileCheck %s

// A residual add over [T, 16]: one thread per element, 128 per block; the
// thread's linear id gives (t, c) with c fastest.
// CHECK-LABEL: func @residual
// CHECK-SAME: (%[[A:.*]]: memref<?x16xf32>, %[[B:.*]]: memref<?x16xf32>)
// CHECK-NOT: scf.parallel
// CHECK: %[[T:.*]] = memref.dim %[[A]], %c0
// CHECK: %[[N:.*]] = arith.muli %[[T]], %c16
// CHECK: %[[BLOCKS:.*]] = arith.divui
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], {{.*}} threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128{{.*}} function(@moe_residual_loop0)
// CHECK:   %[[I:.*]] = arith.addi %{{.*}}, %[[TX]]
// CHECK:   arith.cmpi ult, %[[I]], %[[N]]
// CHECK:   scf.if
// CHECK:     %[[C:.*]] = arith.remui %[[I]], %c16
// CHECK:     %[[ROW:.*]] = arith.divui %[[I]], %c16
// CHECK:     memref.load %[[A]][%[[ROW]], %[[C]]]
// CHECK:     memref.store %{{.*}}, %[[B]][%[[ROW]], %[[C]]]
func.func @residual(%a: memref<?x16xf32>, %b: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %t = memref.dim %a, %c0 : memref<?x16xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%t, %c16) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<?x16xf32>
    %y = memref.load %b[%i, %j] : memref<?x16xf32>
    %s = arith.addf %x, %y : f32
    memref.store %s, %b[%i, %j] : memref<?x16xf32>
    scf.reduce
  }
  return
}

// -----

func.func @reduction(%a: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %a, %c0 : memref<?xf32>
  // expected-error @below {{a parallel loop with reductions cannot run a thread per iteration}}
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<?xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

func.func @host_global(%b: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %g = memref.get_global @table : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    // expected-error @below {{a kernel cannot read a global of the host code}}
    %x = memref.load %g[%i] : memref<4xf32>
    memref.store %x, %b[%i] : memref<4xf32>
    scf.reduce
  }
  return
}
