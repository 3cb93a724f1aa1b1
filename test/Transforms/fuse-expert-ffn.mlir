// RUN: moe-opt %s --split-input-file --moe-fuse-expert-ffn | FileCheck %s

// The gather, the grouped experts and the combine become one op: no permuted
// copy of x and no [T*k, H] expert outputs remain (the CHECK-NEXT lines pin
// the whole body: the fused op and the return).
// CHECK-LABEL: func @fuse
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x16xf32>, %[[W:[^:]*]]: tensor<?x4xf32>, %[[OFF:[^:]*]]: tensor<11xi32>, %[[P:[^:]*]]: tensor<?xi32>, %[[G:[^:]*]]: {{[^,]*}}, %[[U:[^:]*]]: {{[^,]*}}, %[[D:[^:]*]]: {{[^,]*}}, %[[SG:[^:]*]]: {{[^,]*}}, %[[SU:[^:]*]]: {{[^,]*}}, %[[SD:[^:]*]]: {{[^,]*}})
// CHECK-NEXT: %[[Y:.*]] = moe.expert_ffn %[[X]][%[[P]]], %[[OFF]], %[[W]] experts(%[[G]], %[[U]], %[[D]]) shared(%[[SG]], %[[SU]], %[[SD]])
// CHECK-NEXT: return %[[Y]]
func.func @fuse(%x: tensor<?x16xf32>, %w: tensor<?x4xf32>, %off: tensor<11xi32>, %p: tensor<?xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) -> tensor<?x16xf32> {
  %xs = moe.permute %x[%p] top_k 4 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  %y = moe.combine %ys[%p], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x4xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Different permutations for the gather and the combine: not fused.
// CHECK-LABEL: func @different_permutations
// CHECK-NOT: moe.expert_ffn
// CHECK: moe.combine
func.func @different_permutations(%x: tensor<?x16xf32>, %w: tensor<?x2xf32>, %off: tensor<9xi32>, %p: tensor<?xi32>, %q: tensor<?xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) -> tensor<?x16xf32> {
  %xs = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %y = moe.combine %ys[%q], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
