// RUN: moe-opt %s --convert-moe-to-vector | FileCheck %s --implicit-check-not="moe."
// RUN: moe-opt %s --convert-moe-to-vector="vector-width=8 rows=2" | FileCheck %s --check-prefix=AVX2

// Three parallel phases on buffers: gate/up + SwiGLU, down with the routing
// weight, and the per-token sum over slots.
// CHECK-LABEL: func @expert_ffn
// CHECK: %[[ACT:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK: %[[SLOTS:.*]] = memref.alloc(%{{.*}}) : memref<?x40xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x40xf32>
// Phase 1: work items over (expert, block); routed and shared experts read
// different weight tensors.
// CHECK: scf.forall
// CHECK: scf.if
// Token rows come through the permutation: no permuted copy of x.
// CHECK: memref.load %{{.*}} : memref<?xi32
// CHECK: arith.divui
// Gate and up accumulate together, bf16 widened in registers.
// CHECK: vector.load {{.*}} : memref<?x40xf32, strided<[?, 1], offset: ?>>, vector<16xf32>
// CHECK: vector.load {{.*}} : memref<8x4x40xbf16, strided<[?, ?, 1], offset: ?>>, vector<16xbf16>
// CHECK: arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.reduction <add>, {{.*}} fastmath<reassoc>
// The H = 40 tail past 32 lanes is a scalar loop.
// CHECK: math.exp
// CHECK: memref.store {{.*}}, %[[ACT]]
// Phase 2: the routing weight scales the down projection's result, stored at
// the row of its (token, slot).
// CHECK: scf.forall
// CHECK: memref.load %{{.*}} : memref<?x2xf32
// CHECK: vector.fma
// CHECK: arith.mulf
// CHECK: memref.store {{.*}}, %[[SLOTS]]
// Phase 3: per token, the slots summed in order.
// CHECK: scf.forall
// CHECK: vector.load %[[SLOTS]]
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: vector.store {{.*}}, %[[OUT]]
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable

// AVX2-LABEL: func @expert_ffn
// AVX2: vector<8xbf16>
// AVX2-NOT: vector<16x
func.func @expert_ffn(%x: tensor<?x40xf32>, %p: tensor<?xi32>, %off: tensor<11xi32>, %w: tensor<?x2xf32>,
    %g: tensor<8x4x40xbf16>, %u: tensor<8x4x40xbf16>, %d: tensor<8x40x4xbf16>,
    %sg: tensor<8x40xf16>, %su: tensor<8x40xf16>, %sd: tensor<40x8xf16>) -> tensor<?x40xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x40xf32>, tensor<?xi32>, tensor<11xi32>, tensor<?x2xf32>, tensor<8x4x40xbf16>, tensor<8x4x40xbf16>, tensor<8x40x4xbf16>, tensor<8x40xf16>, tensor<8x40xf16>, tensor<40x8xf16>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
