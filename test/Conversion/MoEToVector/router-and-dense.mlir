// RUN: moe-opt %s --split-input-file --convert-moe-to-vector | FileCheck %s --implicit-check-not="moe."

// Router logits as dot-product tiles, parallel over token tiles, then a
// shifted softmax per token.
// CHECK-LABEL: func @router_softmax
// CHECK: %[[S:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: scf.forall
// CHECK:   vector.load {{.*}} : memref<8x32xbf16, strided<[?, 1], offset: ?>>, vector<16xbf16>
// CHECK:   vector.fma
// CHECK:   arith.maximumf
// CHECK:   math.exp
// CHECK:   arith.divf
func.func @router_softmax(%x: tensor<?x32xf32>, %w: tensor<8x32xbf16>) -> tensor<?x8xf32> {
  %s = moe.router_scores softmax %x, %w : tensor<?x32xf32>, tensor<8x32xbf16> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// Sigmoid per score, in place: s = 1 / (1 + exp(-logit)); no softmax max.
// CHECK-LABEL: func @router_sigmoid
// CHECK: %[[S:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: scf.forall
// CHECK:   vector.fma
// CHECK-NOT: arith.maximumf
// CHECK:   %[[LOGIT:.*]] = memref.load %[[S]][%[[T:.*]], %[[E:.*]]] : memref<?x8xf32>
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[LOGIT]] : f32
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK:      %[[DEN:.*]] = arith.addf %{{.*}}, %[[EXP]] : f32
// CHECK:      %[[SIG:.*]] = arith.divf %{{.*}}, %[[DEN]] : f32
// CHECK-NEXT: memref.store %[[SIG]], %[[S]][%[[T]], %[[E]]]
// CHECK-NOT: arith.maximumf
func.func @router_sigmoid(%x: tensor<?x32xf32>, %w: tensor<8x32xf32>) -> tensor<?x8xf32> {
  %s = moe.router_scores sigmoid %x, %w : tensor<?x32xf32>, tensor<8x32xf32> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// A dense SwiGLU MLP runs on the expert kernels as one expert that every
// token reaches with weight 1.
// CHECK-LABEL: func @dense
// CHECK: tensor.generate
// CHECK: tensor.from_elements %{{.*}}, %{{.*}} : tensor<2xi32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [1, 48, 32] : tensor<48x32xbf16> into tensor<1x48x32xbf16>
// CHECK: scf.forall
// CHECK: vector.fma
func.func @dense(%x: tensor<?x32xf32>, %g: tensor<48x32xbf16>, %u: tensor<48x32xbf16>, %d: tensor<32x48xbf16>) -> tensor<?x32xf32> {
  %y = moe.swiglu %x, %g, %u, %d : tensor<?x32xf32>, tensor<48x32xbf16>, tensor<48x32xbf16>, tensor<32x48xbf16> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
