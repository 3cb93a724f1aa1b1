// RUN: moe-opt %s --split-input-file --moe-gpu-predicate-launches | FileCheck %s

// The host's choice between two forms of a kernel over equal blocks of
// threads: one launch over the grid of the form chosen, whose body makes the
// same choice, named as both start. The host code of the branches (the grid
// sizes) runs before it.
// CHECK-LABEL: func @either
// CHECK-SAME: (%[[N:.*]]: index, %[[USE:.*]]: i1, %[[A:.*]]: memref<?xf32>)
// CHECK-NOT: scf.if %[[USE]]
// CHECK: %[[HALF:.*]] = arith.divui %[[N]], %c2
// CHECK: %[[GRID:.*]] = arith.select %[[USE]], %[[HALF]], %[[N]]
// CHECK: gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], {{.*}} function(@moe_product)
// CHECK:   scf.if %[[USE]] {
// CHECK:     memref.store %[[ZERO:.*]], %[[A]][%[[B]]]
// CHECK:   } else {
// CHECK:     memref.store %[[ONE:.*]], %[[A]][%[[B]]]
// CHECK:   }
// CHECK:   gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @either(%n: index, %use: i1, %a: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  scf.if %use {
    %c2 = arith.constant 2 : index
    %half = arith.divui %n, %c2 : index
    %zero = arith.constant 0.0 : f32
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %half, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) function(@moe_product_tiles) {
      memref.store %zero, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
  } else {
    %one = arith.constant 1.0 : f32
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) function(@moe_product) {
      memref.store %one, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
  }
  return
}

// -----

// Two products chosen by one condition (canonicalisation combines their
// branches): the i-th launch of each side become one kernel, in order.
// CHECK-LABEL: func @either_twice
// CHECK-NOT: scf.if
// CHECK: gpu.launch {{.*}} function(@moe_first)
// CHECK:   scf.if
// CHECK:     memref.store %[[ONE:.*]], %{{.*}}[%{{.*}}]
// CHECK:   } else {
// CHECK:     memref.store %[[THREE:.*]], %{{.*}}[%{{.*}}]
// CHECK: gpu.launch {{.*}} function(@moe_second)
// CHECK:   scf.if
// CHECK:     memref.store %[[TWO:.*]], %{{.*}}[%{{.*}}]
// CHECK:   } else {
// CHECK:     memref.store %[[FOUR:.*]], %{{.*}}[%{{.*}}]
// CHECK-NOT: gpu.launch
func.func @either_twice(%n: index, %use: i1, %a: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3.0 : f32
  %four = arith.constant 4.0 : f32
  scf.if %use {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) function(@moe_first_tiles) {
      memref.store %one, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) function(@moe_second_tiles) {
      memref.store %two, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
  } else {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) function(@moe_first) {
      memref.store %three, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) function(@moe_second) {
      memref.store %four, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
  }
  return
}

// -----

// Kernels over different blocks of threads stay two: each is launched, over
// a single block whose threads do nothing where its condition fails.
// CHECK-LABEL: func @either_apart
// CHECK-SAME: (%[[N:.*]]: index, %[[USE:.*]]: i1, %[[A:.*]]: memref<?xf32>)
// CHECK-NOT: scf.if %[[USE]]
// CHECK: %[[GRID:.*]] = arith.select %[[USE]], %[[N]], %c1
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[GRID]], {{.*}} threads({{.*}}) in (%{{.*}} = %c1,
// CHECK:   scf.if %[[USE]] {
// CHECK:     memref.store
// CHECK:   }
// CHECK:   gpu.terminator
// CHECK: %[[OFF:.*]] = arith.xori %[[USE]], %true
// CHECK: %[[OTHER:.*]] = arith.select %[[OFF]], %[[N]], %c1
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[OTHER]], {{.*}} threads({{.*}}) in (%{{.*}} = %c32,
// CHECK:   scf.if %[[OFF]] {
// CHECK:     memref.store
// CHECK-NOT: scf.if
// CHECK: return
func.func @either_apart(%n: index, %use: i1, %a: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  scf.if %use {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      memref.store %zero, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
  } else {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
      memref.store %zero, %a[%tx] : memref<?xf32>
      gpu.terminator
    }
  }
  return
}

// -----

// A branch with other host work (a buffer, a copy) stays a branch, and so
// does a branch inside a kernel.
// CHECK-LABEL: func @kept
// CHECK: scf.if %{{.*}} {
// CHECK:   gpu.alloc
// CHECK:   gpu.launch
// CHECK: gpu.launch
// CHECK:   scf.if
// CHECK:     gpu.launch
func.func @kept(%n: index, %use: i1, %a: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  scf.if %use {
    %b = gpu.alloc (%n) : memref<?xf32>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %b[%bx] : memref<?xf32>
      memref.store %v, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.if %use {
      gpu.launch blocks(%cx, %cy, %cz) in (%hx = %n, %hy = %c1, %hz = %c1) threads(%ux, %uy, %uz) in (%vx = %c1, %vy = %c1, %vz = %c1) {
        gpu.terminator
      }
    }
    gpu.terminator
  }
  return
}

// -----

// Nested branches: the inner launch runs where both conditions hold.
// CHECK-LABEL: func @nested
// CHECK-SAME: (%[[N:.*]]: index, %[[OUTER:.*]]: i1, %[[INNER:.*]]: i1,
// CHECK-NOT: scf.if %[[OUTER]]
// CHECK: %[[G:.*]] = arith.select %[[INNER]], %[[N]], %c1
// CHECK: %[[GG:.*]] = arith.select %[[OUTER]], %[[G]], %c1
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[GG]],
// CHECK:   scf.if %[[OUTER]] {
// CHECK:     scf.if %[[INNER]] {
// CHECK:       memref.store
func.func @nested(%n: index, %outer: i1, %inner: i1, %a: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.if %outer {
    scf.if %inner {
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
        memref.store %zero, %a[%bx] : memref<?xf32>
        gpu.terminator
      }
    }
  }
  return
}
