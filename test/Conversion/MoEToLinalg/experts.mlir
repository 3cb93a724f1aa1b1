// RUN: moe-opt %s --split-input-file --convert-moe-to-linalg | FileCheck %s --implicit-check-not="moe."

// CHECK-LABEL: func @router_softmax
// Router matmul with the bf16 weight widened inside the body.
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   arith.extf %{{.*}} : bf16 to f32
// Row max, exp(x - max), row sum, divide.
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.divf
func.func @router_softmax(%x: tensor<?x16xf32>, %w: tensor<8x16xbf16>) -> tensor<?x8xf32> {
  %s = moe.router_scores softmax %x, %w : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @router_sigmoid
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: math.exp
// CHECK-NOT: arith.maximumf
func.func @router_sigmoid(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %s = moe.router_scores sigmoid %x, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// One loop over expert segments; each non-empty segment is a slice of the
// sorted rows through that expert's SwiGLU, written back in place. Shared
// experts are a second loop over column blocks of the shared MLP.
// CHECK-LABEL: func @grouped
// CHECK: scf.for %[[E:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   tensor.extract %{{.*}}[%{{.*}}] : tensor<11xi32>
// CHECK:   scf.if
// CHECK:     tensor.extract_slice %{{.*}} : tensor<?x16xf32> to tensor<?x16xf32>
// CHECK:     tensor.extract_slice %{{.*}}[%{{.*}}, 0, 0] [1, 4, 16] [1, 1, 1] : tensor<8x4x16xbf16> to tensor<4x16xbf16>
// Gate and up in one loop nest, then silu(g) * u, then down.
// CHECK:     linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK:     math.exp
// CHECK:     linalg.generic
// CHECK:     tensor.insert_slice
// CHECK: scf.for
// CHECK:   tensor.extract_slice %{{.*}}[%{{.*}}, 0] [4, 16] [1, 1] : tensor<8x16xf16> to tensor<4x16xf16>
func.func @grouped(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xf16>, %su: tensor<8x16xf16>, %sd: tensor<16x8xf16>) -> tensor<?x16xf32> {
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xf16>, tensor<8x16xf16>, tensor<16x8xf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK-LABEL: func @permute_combine_append
// permute: a gather whose row index is permutation / top_k.
// CHECK: linalg.generic
// CHECK:   arith.divui
// CHECK:   tensor.extract
// combine: the inverse permutation, then a reduction over slots.
// CHECK: scf.for
// CHECK:   memref.store
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   linalg.index 2
// append_shared_experts: slots past k are expert first_expert + j - k with
// weight 1.
// CHECK: linalg.generic
// CHECK:   scf.if
// CHECK:     arith.constant 1.000000e+00 : f32
func.func @permute_combine_append(%x: tensor<?x16xf32>, %p: tensor<?xi32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>) -> (tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x4xi32>) {
  %xs = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %y = moe.combine %xs[%p], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %y, %w2, %i2 : tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x4xi32>
}

// -----

// Without the vector kernels, moe.expert_ffn takes the unfused lowering:
// the permuted copy of x, the loop over expert segments, the combine.
// CHECK-LABEL: func @expert_ffn_unfused
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x16xf32>, %[[P:[^:]*]]: tensor<?xi32>, %[[OFF:[^:]*]]: tensor<9xi32>, %[[W:[^:]*]]: tensor<?x2xf32>
// permute: row r is x[perm[r] / 2]
// CHECK: %[[XS:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<?xi32>)
// CHECK:   %[[TOKEN:.*]] = arith.divui %{{.*}}, %c2 : index
// CHECK:   tensor.extract %[[X]][%[[TOKEN]], %{{.*}}] : tensor<?x16xf32>
// grouped SwiGLU: a segment [offsets[e], offsets[e+1]) per expert
// CHECK: %[[YS:.*]] = scf.for %{{.*}} = %{{.*}} to %c8 {{.*}} -> (tensor<?x16xf32>)
// CHECK:   tensor.extract %[[OFF]]
// CHECK:   tensor.extract_slice %[[XS]]
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   math.exp
// combine: the inverse permutation, then per token the weighted sum of its
// slots' rows
// CHECK: memref.store
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[W]] : tensor<?x2xf32>)
// CHECK:   tensor.extract %[[YS]]
func.func @expert_ffn_unfused(%x: tensor<?x16xf32>, %p: tensor<?xi32>, %off: tensor<9xi32>, %w: tensor<?x2xf32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) -> tensor<?x16xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<?xi32>, tensor<9xi32>, tensor<?x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
