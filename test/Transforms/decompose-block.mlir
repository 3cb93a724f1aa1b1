// RUN: moe-opt %s --split-input-file --moe-decompose-block | FileCheck %s --implicit-check-not=moe.block

// DeepSeekMoE 16B layout, scaled down: softmax, greedy, 2 shared experts.
// CHECK-LABEL: func @greedy_with_shared
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x16xf32>, %[[WR:[^:]*]]: tensor<8x16xbf16>, %[[G:[^:]*]]: {{[^,]*}}, %[[U:[^:]*]]: {{[^,]*}}, %[[D:[^:]*]]: {{[^,]*}}, %[[SG:[^:]*]]: {{[^,]*}}, %[[SU:[^:]*]]: {{[^,]*}}, %[[SD:[^:]*]]: {{[^,]*}})
// CHECK:      %[[S:.*]] = moe.router_scores softmax %[[X]], %[[WR]] : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
// CHECK-NEXT: %[[W:.*]], %[[I:.*]] = moe.topk greedy %[[S]] : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
// CHECK-NEXT: %[[OFF:.*]], %[[P:.*]] = moe.dispatch %[[I]] : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
// CHECK-NEXT: %[[XS:.*]] = moe.permute %[[X]][%[[P]]] top_k 2
// CHECK-NEXT: %[[YS:.*]] = moe.grouped_swiglu %[[XS]], %[[OFF]] experts(%[[G]], %[[U]], %[[D]]) :
// CHECK-NEXT: %[[R:.*]] = moe.combine %[[YS]][%[[P]]], %[[W]]
// CHECK-NEXT: %[[SH:.*]] = moe.swiglu %[[X]], %[[SG]], %[[SU]], %[[SD]]
// CHECK-NEXT: %[[Y:.*]] = arith.addf %[[R]], %[[SH]] : tensor<?x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @greedy_with_shared(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) -> tensor<?x16xf32> {
  %y = moe.block %x router(%wr) experts(%g, %u, %d) shared(%sg, %su, %sd) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// DeepSeek-V3 routing carries its attributes and bias over; static T gives
// static T*k; no shared experts means no moe.swiglu.
// CHECK-LABEL: func @noaux_tc_static
// CHECK: moe.router_scores sigmoid
// CHECK: moe.topk noaux_tc %{{.*}} bias %{{.*}} {n_group = 4 : i64, norm_topk_prob = true, routed_scaling_factor = 2.500000e+00 : f64, topk_group = 2 : i64} : tensor<5x8xf32>, tensor<8xf32> -> tensor<5x3xf32>, tensor<5x3xi32>
// CHECK: moe.dispatch %{{.*}} : tensor<5x3xi32> -> tensor<9xi32>, tensor<15xi32>
// CHECK: moe.permute %{{.*}} top_k 3 : tensor<5x16xf32>, tensor<15xi32> -> tensor<15x16xf32>
// CHECK: moe.grouped_swiglu
// CHECK: %[[Y:.*]] = moe.combine
// CHECK-NOT: moe.swiglu
// CHECK: return %[[Y]]
func.func @noaux_tc_static(%x: tensor<5x16xf32>, %wr: tensor<8x16xf32>, %b: tensor<8xf32>, %g: tensor<8x4x16xf32>, %u: tensor<8x4x16xf32>, %d: tensor<8x16x4xf32>) -> tensor<5x16xf32> {
  %y = moe.block %x router(%wr, bias %b) experts(%g, %u, %d) scoring = sigmoid method = noaux_tc top_k = 3 {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : (tensor<5x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<8x4x16xf32>, tensor<8x4x16xf32>, tensor<8x16x4xf32>) -> tensor<5x16xf32>
  return %y : tensor<5x16xf32>
}

// -----

// CHECK-LABEL: func @group_limited_greedy
// CHECK: moe.topk group_limited_greedy %{{.*}} {n_group = 4 : i64, routed_scaling_factor = 1.600000e+01 : f64, topk_group = 2 : i64}
func.func @group_limited_greedy(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) -> tensor<?x16xf32> {
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = group_limited_greedy top_k = 2 {n_group = 4, topk_group = 2, routed_scaling_factor = 16.0} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
