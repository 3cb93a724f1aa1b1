// RUN: moe-opt %s --split-input-file --convert-moe-to-linalg | FileCheck %s --implicit-check-not="moe."

// Greedy top-k: per token, k argmax passes over the experts, then the taken
// experts listed in ascending order, renormalised.
// CHECK-LABEL: func @topk_greedy
// CHECK-DAG: %[[S:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x8xf32> to memref<?x8xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[W:.*]] = memref.alloc(%{{.*}}) : memref<?x2xf32>
// CHECK-DAG: %[[I:.*]] = memref.alloc(%{{.*}}) : memref<?x2xi32>
// CHECK-DAG: %[[CHOICE:.*]] = memref.alloca() : memref<8xf32>
// CHECK-DAG: %[[TAKEN:.*]] = memref.alloca() : memref<8xi1>
// CHECK: scf.for
// CHECK:   arith.cmpf ogt
// CHECK:   memref.store %{{.*}}, %[[TAKEN]]
// CHECK:   scf.if
// CHECK:     memref.store %{{.*}}, %[[W]]
// CHECK:     memref.store %{{.*}}, %[[I]]
// CHECK:   %[[EPS:.*]] = arith.constant 9.99999968E-21 : f32
// CHECK:   arith.addf %{{.*}}, %[[EPS]] : f32
// CHECK:   arith.divf
// CHECK: bufferization.to_tensor %[[W]] restrict writable
// CHECK: bufferization.to_tensor %[[I]] restrict writable
func.func @topk_greedy(%s: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %w, %i = moe.topk greedy %s {norm_topk_prob = true} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

// noaux_tc: the bias joins the choice, groups are scored by the sum of their
// two best choices, the experts of dropped groups get -inf; the weights are
// read from the unbiased scores, renormalised, then always scaled.
// CHECK-LABEL: func @topk_noaux_tc
// CHECK-DAG: %[[S:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK-DAG: %[[B:.*]] = bufferization.to_buffer %arg1 read_only
// CHECK-DAG: %[[W:.*]] = memref.alloc(%{{.*}}) : memref<?x2xf32>
// CHECK-DAG: %[[CHOICE:.*]] = memref.alloca() : memref<8xf32>
// CHECK-DAG: %[[GROUP:.*]] = memref.alloca() : memref<4xf32>
// CHECK-DAG: %[[KEPT:.*]] = memref.alloca() : memref<4xi1>
// choice = score + bias
// CHECK:      %[[SC:.*]] = memref.load %[[S]][%{{.*}}, %[[E:[a-z0-9_]+]]]
// CHECK-NEXT: %[[BI:.*]] = memref.load %[[B]][%[[E]]]
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[SC]], %[[BI]] : f32
// CHECK-NEXT: memref.store %[[SUM]], %[[CHOICE]][%[[E]]]
// group score = best + second best choice of the group's 2 experts
// CHECK:      %[[TOP2:.*]]:2 = scf.for {{.*}} -> (f32, f32)
// CHECK:      %[[GS:.*]] = arith.addf %[[TOP2]]#0, %[[TOP2]]#1 : f32
// CHECK-NEXT: memref.store %[[GS]], %[[GROUP]]
// experts of groups not kept: choice = -inf
// CHECK:      %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:      memref.load %[[KEPT]]
// CHECK:      scf.if
// CHECK:        memref.store %[[NEGINF]], %[[CHOICE]]
// the weight of a selected expert is its unbiased score
// CHECK:      %[[UNBIASED:.*]] = memref.load %[[S]]
// CHECK-NEXT: memref.store %[[UNBIASED]], %[[W]]
// CHECK:      arith.divf
// CHECK:      %[[WV:.*]] = memref.load %[[W]]
// CHECK-NEXT: %[[SCALE:.*]] = arith.constant 2.500000e+00 : f32
// CHECK-NEXT: arith.mulf %[[WV]], %[[SCALE]] : f32
func.func @topk_noaux_tc(%s: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %w, %i = moe.topk noaux_tc %s bias %b {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

// Dispatch: a histogram into offsets[e + 1], a prefix sum, and a stable
// scatter of the pair ids through per-expert cursors.
// CHECK-LABEL: func @dispatch
// CHECK-DAG: %[[OFF:.*]] = memref.alloc() : memref<9xi32>
// CHECK-DAG: %[[PERM:.*]] = memref.alloc(%{{.*}}) : memref<?xi32>
// CHECK-DAG: %[[CUR:.*]] = memref.alloca() : memref<8xi32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK:   memref.store %{{.*}}, %[[OFF]]
// CHECK: scf.for
// CHECK:   memref.store %{{.*}}, %[[CUR]]
// CHECK: scf.for
// CHECK:   memref.store %{{.*}}, %[[PERM]]
func.func @dispatch(%i: tensor<?x2xi32>) -> (tensor<9xi32>, tensor<?xi32>) {
  %o, %p = moe.dispatch %i : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
  return %o, %p : tensor<9xi32>, tensor<?xi32>
}
