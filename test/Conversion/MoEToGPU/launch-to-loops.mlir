// RUN: moe-opt %s --split-input-file --moe-gpu-launch-to-loops --verify-diagnostics | FileCheck %s

// A launch runs as loops over blocks then threads (z, y, x), ids replaced by
// the loop indices; a thread's fixed-size private array is allocated once,
// before the loops.
// CHECK-LABEL: func @kernel
// CHECK-SAME: (%[[A:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: %[[S:.*]] = memref.alloca() : memref<4xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c1
// CHECK:   scf.for %{{.*}} = %c0 to %c1
// CHECK:     scf.for %[[BX:.*]] = %c0 to %[[N]]
// CHECK:       scf.for %{{.*}} = %c0 to %c1
// CHECK:         scf.for %{{.*}} = %c0 to %c1
// CHECK:           scf.for %[[TX:.*]] = %c0 to %c32
// CHECK:             %[[I:.*]] = arith.addi %[[BX]], %[[TX]]
// CHECK:             scf.if
// CHECK:               memref.store %{{.*}}, %[[S]]
// CHECK:               memref.store %{{.*}}, %[[A]][%[[I]]]
// CHECK-NOT: gpu.
func.func @kernel(%a: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %i = arith.addi %bx, %tx : index
    %in = arith.cmpi ult, %i, %n : index
    scf.if %in {
      %s = memref.alloca() : memref<4xf32>
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%i] : memref<?xf32>
      memref.store %v, %s[%c0] : memref<4xf32>
      %w = memref.load %s[%c0] : memref<4xf32>
      memref.store %w, %a[%i] : memref<?xf32>
    }
    gpu.terminator
  }
  return
}

// -----

// A shuffle cuts the kernel: every thread of the block runs the piece
// before it, keeping the values later pieces use in per-thread slots; the
// shuffle reads the slot of lane ^ offset within the thread's warp; then
// every thread runs the rest.
// CHECK-LABEL: func @shuffle
// CHECK-SAME: (%[[A:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: arith.muli
// CHECK: %[[THREADS:.*]] = arith.muli
// CHECK: %[[I:.*]] = memref.alloca(%[[THREADS]]) : memref<?xindex>
// CHECK: %[[V:.*]] = memref.alloca(%[[THREADS]]) : memref<?xf32>
// CHECK: %[[THEIRS:.*]] = memref.alloca(%[[THREADS]]) : memref<?xf32>
// CHECK:     scf.for %{{.*}} = %c0 to %[[N]]
// CHECK:       scf.for %[[TX:.*]] = %c0 to %c64
// CHECK:         %[[LINEAR:.*]] = arith.addi %{{.*}}, %[[TX]]
// CHECK:         memref.store %{{.*}}, %[[I]][%[[LINEAR]]]
// CHECK:         %[[LOADED:.*]] = memref.load %[[A]]
// CHECK:         memref.store %[[LOADED]], %[[V]][%[[LINEAR]]]
// CHECK:       scf.for %[[T:.*]] = %c0 to %[[THREADS]]
// CHECK:         %[[LANE:.*]] = arith.remui %[[T]], %c32
// CHECK:         %[[WARP:.*]] = arith.subi %[[T]], %[[LANE]]
// CHECK:         %[[LANE32:.*]] = arith.index_cast %[[LANE]] : index to i32
// CHECK:         %[[PARTNER:.*]] = arith.xori %[[LANE32]], %c1_i32
// CHECK:         %[[FROM:.*]] = arith.select %{{.*}}, %{{.*}}, %[[T]]
// CHECK:         %[[OTHER:.*]] = memref.load %[[V]][%[[FROM]]]
// CHECK:         memref.store %[[OTHER]], %[[THEIRS]][%[[T]]]
// CHECK:       scf.for %[[TX2:.*]] = %c0 to %c64
// CHECK:         %[[LINEAR2:.*]] = arith.addi %{{.*}}, %[[TX2]]
// CHECK-DAG:     %[[OWN:.*]] = memref.load %[[V]][%[[LINEAR2]]]
// CHECK-DAG:     %[[GOT:.*]] = memref.load %[[THEIRS]][%[[LINEAR2]]]
// CHECK-DAG:     %[[AT:.*]] = memref.load %[[I]][%[[LINEAR2]]]
// CHECK:         %[[SUM:.*]] = arith.addf %[[OWN]], %[[GOT]]
// CHECK:         memref.store %[[SUM]], %[[A]][%[[AT]]]
// CHECK-NOT: gpu.
func.func @shuffle(%a: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %c64 : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %a[%i] : memref<?xf32>
    %one = arith.constant 1 : i32
    %width = arith.constant 32 : i32
    %other, %valid = gpu.shuffle xor %v, %one, %width : f32
    %sum = arith.addf %v, %other : f32
    memref.store %sum, %a[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

// A barrier cuts the kernel without exchanging values: every thread's
// stores come before any thread's loads.
// CHECK-LABEL: func @barrier
// CHECK:   scf.for %[[BX:.*]] = %c0 to
// CHECK:     scf.for
// CHECK:       memref.store
// CHECK-NOT:   memref.load
// CHECK:     scf.for
// CHECK:       memref.load
// CHECK-NOT: gpu.
func.func @barrier(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    memref.store %zero, %a[%tx] : memref<?xf32>
    gpu.barrier
    %next = arith.addi %tx, %c1 : index
    %wrapped = arith.remui %next, %c32 : index
    %v = memref.load %a[%wrapped] : memref<?xf32>
    memref.store %v, %b[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @nested_shuffle(%v: f32, %c: i1) {
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  %width = arith.constant 32 : i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.if %c {
      // expected-error @below {{'gpu.shuffle' must be at the top level of the kernel, where every thread reaches it}}
      %other, %valid = gpu.shuffle xor %v, %one, %width : f32
    }
    gpu.terminator
  }
  return
}

// -----

func.func @other_collective(%v: f32) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{cannot run 'gpu.subgroup_reduce' one thread at a time}}
    %sum = gpu.subgroup_reduce add %v : (f32) -> f32
    gpu.terminator
  }
  return
}

// -----

func.func @private_across_cut(%v: f32) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{a thread's private array cannot live across a shuffle or barrier}}
    %s = memref.alloca() : memref<4xf32>
    memref.store %v, %s[%c0] : memref<4xf32>
    gpu.barrier
    %w = memref.load %s[%c0] : memref<4xf32>
    gpu.terminator
  }
  return
}
