// RUN: moe-opt %s --split-input-file --moe-fold-shared-experts | FileCheck %s

// Two shared experts of width 4 (one MLP of width 8) join the 8 routed
// experts: k grows from 2 to 4, the dispatch groups over 10 experts, and the
// separate moe.swiglu and arith.addf are gone.
// CHECK-LABEL: func @fold
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x16xf32>, %[[W:[^:]*]]: tensor<?x2xf32>, %[[I:[^:]*]]: tensor<?x2xi32>, %[[G:[^:]*]]: {{[^,]*}}, %[[U:[^:]*]]: {{[^,]*}}, %[[D:[^:]*]]: {{[^,]*}}, %[[SG:[^:]*]]: {{[^,]*}}, %[[SU:[^:]*]]: {{[^,]*}}, %[[SD:[^:]*]]: {{[^,]*}})
// CHECK:      %[[W2:.*]], %[[I2:.*]] = moe.append_shared_experts %[[W]], %[[I]] first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
// CHECK-NEXT: %[[OFF:.*]], %[[P:.*]] = moe.dispatch %[[I2]] : tensor<?x4xi32> -> tensor<11xi32>, tensor<?xi32>
// CHECK-NEXT: %[[XS:.*]] = moe.permute %[[X]][%[[P]]] top_k 4
// CHECK-NEXT: %[[YS:.*]] = moe.grouped_swiglu %[[XS]], %[[OFF]] experts(%[[G]], %[[U]], %[[D]]) shared(%[[SG]], %[[SU]], %[[SD]])
// CHECK-NEXT: %[[Y:.*]] = moe.combine %[[YS]][%[[P]]], %[[W2]] : tensor<?x16xf32>, tensor<?xi32>, tensor<?x4xf32> -> tensor<?x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @fold(%x: tensor<?x16xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) -> tensor<?x16xf32> {
  %off, %p = moe.dispatch %i : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
  %xs = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %r = moe.combine %ys[%p], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  %s = moe.swiglu %x, %sg, %su, %sd : tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16> -> tensor<?x16xf32>
  %y = arith.addf %s, %r : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A shared MLP of width 6 is not a whole number of width-4 experts: unchanged.
// CHECK-LABEL: func @width_mismatch
// CHECK-NOT: moe.append_shared_experts
// CHECK: moe.swiglu
// CHECK: arith.addf
func.func @width_mismatch(%x: tensor<?x16xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<6x16xbf16>, %su: tensor<6x16xbf16>, %sd: tensor<16x6xbf16>) -> tensor<?x16xf32> {
  %off, %p = moe.dispatch %i : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
  %xs = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %r = moe.combine %ys[%p], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  %s = moe.swiglu %x, %sg, %su, %sd : tensor<?x16xf32>, tensor<6x16xbf16>, tensor<6x16xbf16>, tensor<16x6xbf16> -> tensor<?x16xf32>
  %y = arith.addf %r, %s : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The shared MLP reads other hidden states than the routed experts: unchanged.
// CHECK-LABEL: func @different_inputs
// CHECK-NOT: moe.append_shared_experts
// CHECK: arith.addf
func.func @different_inputs(%x: tensor<?x16xf32>, %x2: tensor<?x16xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) -> tensor<?x16xf32> {
  %off, %p = moe.dispatch %i : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
  %xs = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %r = moe.combine %ys[%p], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  %s = moe.swiglu %x2, %sg, %su, %sd : tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16> -> tensor<?x16xf32>
  %y = arith.addf %r, %s : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
