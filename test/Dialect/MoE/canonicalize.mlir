// RUN: moe-opt %s --split-input-file --canonicalize | FileCheck %s

// Grouping that keeps every group is no grouping; group-limited greedy over
// one group is greedy.
// CHECK-LABEL: func @all_groups_kept
// CHECK: moe.topk greedy %{{.*}} : tensor<?x8xf32>
// CHECK: moe.topk noaux_tc %{{.*}} bias %{{.*}} : tensor<?x8xf32>, tensor<8xf32>
func.func @all_groups_kept(%s: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x2xi32>, tensor<?x2xi32>) {
  %w0, %i0 = moe.topk group_limited_greedy %s {n_group = 4, topk_group = 4} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w1, %i1 = moe.topk noaux_tc %s bias %b {n_group = 2, topk_group = 2} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %i0, %i1 : tensor<?x2xi32>, tensor<?x2xi32>
}

// -----

// Renormalising one weight is a no-op (reference: only when k > 1), and
// renormalisation overrides the scaling factor except for noaux_tc.
// CHECK-LABEL: func @normalisation
// CHECK: moe.topk greedy %{{.*}} {routed_scaling_factor = 2.000000e+00 : f64} : {{.*}} -> tensor<?x1xf32>
// CHECK: moe.topk greedy %{{.*}} {norm_topk_prob = true} : {{.*}} -> tensor<?x2xf32>
// CHECK: moe.topk noaux_tc %{{.*}} bias %{{.*}} {norm_topk_prob = true, routed_scaling_factor = 2.000000e+00 : f64}
func.func @normalisation(%s: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x1xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %w0, %i0 = moe.topk greedy %s {norm_topk_prob = true, routed_scaling_factor = 2.0} : tensor<?x8xf32> -> tensor<?x1xf32>, tensor<?x1xi32>
  %w1, %i1 = moe.topk greedy %s {norm_topk_prob = true, routed_scaling_factor = 2.0} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w2, %i2 = moe.topk noaux_tc %s bias %b {norm_topk_prob = true, routed_scaling_factor = 2.0} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w0, %w1, %w2 : tensor<?x1xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// k = E: every expert is selected, so the indices are 0..E-1 on every row
// and the dispatch needs no sort.
// CHECK-LABEL: func @all_experts_static
// CHECK-DAG: %[[IOTA:.*]] = arith.constant dense<{{\[}}[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]> : tensor<3x4xi32>
// CHECK-DAG: %[[OFF:.*]] = arith.constant dense<[0, 3, 6, 9, 12]> : tensor<5xi32>
// CHECK-DAG: %[[PERM:.*]] = arith.constant dense<[0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]> : tensor<12xi32>
// CHECK-NOT: moe.dispatch
// CHECK: return %[[IOTA]], %[[OFF]], %[[PERM]]
func.func @all_experts_static(%s: tensor<3x4xf32>) -> (tensor<3x4xi32>, tensor<5xi32>, tensor<12xi32>) {
  %w, %i = moe.topk greedy %s : tensor<3x4xf32> -> tensor<3x4xf32>, tensor<3x4xi32>
  %o, %p = moe.dispatch %i : tensor<3x4xi32> -> tensor<5xi32>, tensor<12xi32>
  return %i, %o, %p : tensor<3x4xi32>, tensor<5xi32>, tensor<12xi32>
}

// -----

// CHECK-LABEL: func @all_experts_dynamic
// CHECK-SAME: (%[[S:.*]]: tensor<?x4xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[T:.*]] = tensor.dim %[[S]], %[[C0]]
// CHECK: %[[OFF:.*]] = tensor.generate  {
// CHECK: ^bb0(%[[E:.*]]: index):
// CHECK:   %[[V:.*]] = arith.muli %[[E]], %[[T]]
// CHECK: %[[N:.*]] = arith.muli %[[T]], %[[C4]]
// CHECK: %[[PERM:.*]] = tensor.generate %[[N]] {
// CHECK: ^bb0(%[[R:.*]]: index):
// CHECK-DAG: arith.remui %[[R]], %[[T]]
// CHECK-DAG: arith.divui %[[R]], %[[T]]
// CHECK-NOT: moe.dispatch
// CHECK: return %[[OFF]], %[[PERM]]
func.func @all_experts_dynamic(%s: tensor<?x4xf32>) -> (tensor<5xi32>, tensor<?xi32>) {
  %w, %i = moe.topk greedy %s : tensor<?x4xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  %o, %p = moe.dispatch %i : tensor<?x4xi32> -> tensor<5xi32>, tensor<?xi32>
  return %o, %p : tensor<5xi32>, tensor<?xi32>
}

// -----

// CHECK-LABEL: func @dispatch_constant
// CHECK-DAG: arith.constant dense<[0, 3, 4, 6, 6]> : tensor<5xi32>
// CHECK-DAG: arith.constant dense<[1, 2, 5, 4, 0, 3]> : tensor<6xi32>
// CHECK-NOT: moe.dispatch
func.func @dispatch_constant() -> (tensor<5xi32>, tensor<6xi32>) {
  %i = arith.constant dense<[[2, 0], [0, 2], [1, 0]]> : tensor<3x2xi32>
  %o, %p = moe.dispatch %i : tensor<3x2xi32> -> tensor<5xi32>, tensor<6xi32>
  return %o, %p : tensor<5xi32>, tensor<6xi32>
}

// -----

// An expert index out of range is not folded (it is undefined at run time).
// CHECK-LABEL: func @dispatch_out_of_range
// CHECK: moe.dispatch
func.func @dispatch_out_of_range() -> (tensor<5xi32>, tensor<2xi32>) {
  %i = arith.constant dense<[[7, 0]]> : tensor<1x2xi32>
  %o, %p = moe.dispatch %i : tensor<1x2xi32> -> tensor<5xi32>, tensor<2xi32>
  return %o, %p : tensor<5xi32>, tensor<2xi32>
}

// -----

// No shared experts: appending zero slots and empty shared weights vanish.
// CHECK-LABEL: func @no_shared_experts
// CHECK-SAME: (%[[W:.*]]: tensor<?x2xf32>, %[[I:.*]]: tensor<?x2xi32>
// CHECK-NOT: moe.append_shared_experts
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<3x16xf32>
// CHECK-DAG: moe.grouped_swiglu %{{.*}}, %{{.*}} experts(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
// CHECK: return %[[W]], %[[I]], %{{.*}}, %[[Z]]
func.func @no_shared_experts(%w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %xs: tensor<?x16xf32>, %off: tensor<9xi32>,
    %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>,
    %sg: tensor<0x16xbf16>, %su: tensor<0x16xbf16>, %sd: tensor<16x0xbf16>, %x: tensor<3x16xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x16xf32>, tensor<3x16xf32>) {
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<0x16xbf16>, tensor<0x16xbf16>, tensor<16x0xbf16>) -> tensor<?x16xf32>
  %s = moe.swiglu %x, %sg, %su, %sd : tensor<3x16xf32>, tensor<0x16xbf16>, tensor<0x16xbf16>, tensor<16x0xbf16> -> tensor<3x16xf32>
  return %w2, %i2, %ys, %s : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x16xf32>, tensor<3x16xf32>
}
