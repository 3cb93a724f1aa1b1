// RUN: moe-opt %s --split-input-file --convert-moe-to-gpu | FileCheck %s --implicit-check-not="moe."

// Three kernels, sorted rows on grid x: gate/up + SwiGLU, down times the
// routing weight stored at the row of its (token, slot) pair, and the
// per-token sum over slots in order. The two products give a warp four
// outputs (four blocks of cells here: I = 4 is one cell, H = 40 ten): its
// lanes take turns over 16-byte vectors of the weight rows (40 bf16 = five
// vectors of 8, so lanes past the fifth skip the turn), then add up their
// partial sums with xor shuffles, and lane 0 stores. No float atomics.
// CHECK-LABEL: func @expert_ffn
// CHECK: %[[ROWS:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?xi32
// CHECK: %[[ACT:.*]] = memref.alloc(%[[ROWS]]) : memref<?x4xf32>
// CHECK: %[[SLOTS:.*]] = memref.alloc(%[[ROWS]]) : memref<?x40xf32>
// CHECK: gpu.launch blocks(%[[R:.*]], %[[CB:.*]], %{{.*}}) in (%{{.*}} = %[[ROWS]], %{{.*}} = %c1{{.*}}) threads(%[[TID:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128, {{.*}} function(@moe_experts_gate_up)
// CHECK:   %[[WARP:.*]] = arith.divui %[[TID]], %c32
// CHECK:   %[[LANE:.*]] = arith.remui %[[TID]], %c32
// Token rows come through the permutation: no permuted copy of x.
// CHECK:   memref.load %{{.*}}[%[[R]]] : memref<?xi32
// CHECK:   %[[T:.*]] = arith.divui
// Routed and shared experts read different weights; four gate and four up
// rows per warp.
// CHECK:   scf.if %{{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK:     scf.for
// CHECK:       %[[VEC:.*]] = arith.addi %{{.*}}, %[[LANE]]
// CHECK:       arith.cmpi ult, %[[VEC]], %c5
// CHECK:       vector.load %{{.*}}[%[[T]], %{{.*}}] {alignment = 32 : i64} : memref<?x40xf32, {{.*}}>, vector<8xf32>
// CHECK:       vector.load {{.*}} {alignment = 16 : i64} : memref<8x4x40xbf16, {{.*}}>, vector<8xbf16>
// CHECK:       arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:     vector.reduction <add>
// CHECK:   } else {
// CHECK:       vector.load {{.*}} : memref<8x40xf16, {{.*}}>, vector<8xf16>
// CHECK:   gpu.shuffle xor %{{.*}}, %c16_i32{{.*}}, %c32_i32{{.*}} : f32
// CHECK:   gpu.shuffle xor %{{.*}}, %c8_i32{{.*}}, %c32_i32{{.*}} : f32
// CHECK:   gpu.shuffle xor %{{.*}}, %c4_i32{{.*}}, %c32_i32{{.*}} : f32
// CHECK:   gpu.shuffle xor %{{.*}}, %c2_i32{{.*}}, %c32_i32{{.*}} : f32
// CHECK:   gpu.shuffle xor %{{.*}}, %c1_i32{{.*}}, %c32_i32{{.*}} : f32
// CHECK:   %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// CHECK:   scf.if
// CHECK:     math.exp
// CHECK:     memref.store %{{.*}}, %[[ACT]][%[[R]], %{{.*}}]
// CHECK: gpu.launch {{.*}} function(@moe_experts_down)
// CHECK:   scf.if %{{.*}} -> (f32, f32, f32, f32)
// CHECK:       vector.load {{.*}} {alignment = 16 : i64} : memref<?x4xf32>, vector<4xf32>
// CHECK:       vector.load {{.*}} {alignment = 8 : i64} : memref<8x40x4xbf16, {{.*}}>, vector<4xbf16>
// CHECK:   gpu.shuffle xor
// CHECK:   scf.if
// CHECK:     %[[T:.*]] = arith.divui %[[PAIR:.*]], %c2
// CHECK:     %[[J:.*]] = arith.remui %[[PAIR]], %c2
// CHECK:     %[[W:.*]] = memref.load %{{.*}}[%[[T]], %[[J]]] : memref<?x2xf32
// CHECK:     arith.mulf %{{.*}}, %[[W]]
// CHECK:     memref.store %{{.*}}, %[[SLOTS]][%[[PAIR]], %{{.*}}]
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x40xf32>
// CHECK: gpu.launch {{.*}} function(@moe_combine)
// CHECK:   scf.for
// CHECK:     memref.load %[[SLOTS]]
// CHECK:   memref.store %{{.*}}, %[[OUT]]
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: atomic
func.func @expert_ffn(%x: tensor<?x40xf32>, %p: tensor<?xi32>, %off: tensor<11xi32>, %w: tensor<?x2xf32>,
    %g: tensor<8x4x40xbf16>, %u: tensor<8x4x40xbf16>, %d: tensor<8x40x4xbf16>,
    %sg: tensor<8x40xf16>, %su: tensor<8x40xf16>, %sd: tensor<40x8xf16>) -> tensor<?x40xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x40xf32>, tensor<?xi32>, tensor<11xi32>, tensor<?x2xf32>, tensor<8x4x40xbf16>, tensor<8x4x40xbf16>, tensor<8x40x4xbf16>, tensor<8x40xf16>, tensor<8x40xf16>, tensor<40x8xf16>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// -----

// A dense SwiGLU MLP: the same two products, a row per token, no routing and
// no combine; the down kernel writes the result.
// CHECK-LABEL: func @swiglu
// CHECK: %[[ACT:.*]] = memref.alloc(%{{.*}}) : memref<?x24xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK: gpu.launch {{.*}} function(@moe_swiglu_gate_up)
// CHECK-NOT: scf.if %{{.*}} -> (f32,
// CHECK:   vector.load {{.*}} : memref<24x16xf32, {{.*}}>, vector<8xf32>
// CHECK:   memref.store %{{.*}}, %[[ACT]]
// CHECK: gpu.launch {{.*}} function(@moe_swiglu_down)
// CHECK:   memref.store %{{.*}}, %[[OUT]]
// CHECK-NOT: gpu.launch
// CHECK: bufferization.to_tensor %[[OUT]]
func.func @swiglu(%x: tensor<?x16xf32>, %g: tensor<24x16xf32>, %u: tensor<24x16xf32>, %d: tensor<16x24xf32>) -> tensor<?x16xf32> {
  %y = moe.swiglu %x, %g, %u, %d : tensor<?x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// BF16 weights whose products reduce over whole 32-element steps (H and I
// here) also get a tensor-core form of each product: a warp per 16 outputs
// (mma.sync's M) of 32 sorted rows of one expert, as four products of 8
// rows (N) that share the weight fragments, finding its tile by counting
// each expert's tiles. Products of rows past the expert's segment are
// skipped (a warp-uniform branch). Activations are split into BF16 hi + lo,
// so a step of 32 is 4 products per pair of weight rows and 8 rows (gate
// and up: 8). The host picks the tiles once rows reach 8 per expert (32 for
// 4 experts), else the warp form: a branch per product, each form one
// launch (moe-gpu-predicate-launches makes them one kernel).
// CHECK-LABEL: func @expert_ffn_tiles
// CHECK: %[[ROWS:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?xi32
// CHECK: %[[USE:.*]] = arith.cmpi uge, %[[ROWS]], %c32
// CHECK: scf.if %[[USE]] {
// CHECK:   gpu.launch {{.*}} function(@moe_experts_gate_up_tiles)
// CHECK-NOT: scf.if %[[USE]]
// CHECK:     %[[TILE:.*]]:4 = scf.for {{.*}} -> (index, index, index, index)
// CHECK:       memref.load %{{.*}} : memref<5xi32
// CHECK:     scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-4: vector.load {{.*}} {alignment = 16 : i64} : memref<4x32x32xbf16, {{.*}}>, vector<8xbf16>
// CHECK:       %[[LIVE:.*]] = arith.cmpi ult, %{{.*}}, %[[TILE]]#3
// CHECK:       scf.if %[[LIVE]] -> (f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK:         vector.load {{.*}} : memref<?x32xf32, {{.*}}>, vector<8xf32>
// CHECK:         arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK:         arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK:         vector.bitcast %{{.*}} : vector<8xbf16> to vector<4xi32>
// CHECK-COUNT-8: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK:       } else {
// CHECK-COUNT-24: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK-COUNT-16: memref.store
// CHECK: } else {
// CHECK:   gpu.launch blocks({{.*}}) in (%{{.*}} = %[[ROWS]], {{.*}} function(@moe_experts_gate_up)
// CHECK: scf.if %[[USE]] {
// CHECK:   gpu.launch {{.*}} function(@moe_experts_down_tiles)
// CHECK-COUNT-16: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: } else {
// CHECK:   gpu.launch {{.*}} function(@moe_experts_down)
// CHECK: gpu.launch {{.*}} function(@moe_combine)
func.func @expert_ffn_tiles(%x: tensor<?x32xf32>, %p: tensor<?xi32>, %off: tensor<5xi32>, %w: tensor<?x2xf32>,
    %g: tensor<4x32x32xbf16>, %u: tensor<4x32x32xbf16>, %d: tensor<4x32x32xbf16>) -> tensor<?x32xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) : (tensor<?x32xf32>, tensor<?xi32>, tensor<5xi32>, tensor<?x2xf32>, tensor<4x32x32xbf16>, tensor<4x32x32xbf16>, tensor<4x32x32xbf16>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// The residual add after the block, its only reader: the combine adds the
// residual as it stores, and the add is gone.
// CHECK-LABEL: func @expert_ffn_residual
// CHECK-SAME: %[[R:[a-z0-9]+]]: tensor<?x40xf32>)
// CHECK: %[[RB:.*]] = bufferization.to_buffer %[[R]]
// CHECK: gpu.launch {{.*}} function(@moe_combine)
// CHECK:   %[[SUM:.*]] = scf.for
// CHECK:   %[[OLD:.*]] = memref.load %[[RB]]
// CHECK:   %[[Y:.*]] = arith.addf %[[SUM]], %[[OLD]]
// CHECK:   memref.store %[[Y]]
// CHECK-NOT: arith.addf {{.*}} : tensor
// CHECK: return
func.func @expert_ffn_residual(%x: tensor<?x40xf32>, %p: tensor<?xi32>, %off: tensor<9xi32>, %w: tensor<?x2xf32>,
    %g: tensor<8x4x40xbf16>, %u: tensor<8x4x40xbf16>, %d: tensor<8x40x4xbf16>, %r: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) : (tensor<?x40xf32>, tensor<?xi32>, tensor<9xi32>, tensor<?x2xf32>, tensor<8x4x40xbf16>, tensor<8x4x40xbf16>, tensor<8x40x4xbf16>) -> tensor<?x40xf32>
  %h = arith.addf %r, %y : tensor<?x40xf32>
  return %h : tensor<?x40xf32>
}

// -----

// A dense MLP's down kernel adds the residual as it stores.
// CHECK-LABEL: func @swiglu_residual
// CHECK-SAME: %[[R:[a-z0-9]+]]: tensor<?x16xf32>)
// CHECK: %[[RB:.*]] = bufferization.to_buffer %[[R]]
// CHECK: gpu.launch {{.*}} function(@moe_swiglu_down)
// CHECK:   %[[OLD:.*]] = memref.load %[[RB]]
// CHECK:   %[[Y:.*]] = arith.addf %{{.*}}, %[[OLD]]
// CHECK:   memref.store %[[Y]]
// CHECK-NOT: arith.addf {{.*}} : tensor
// CHECK: return
func.func @swiglu_residual(%x: tensor<?x16xf32>, %g: tensor<24x16xf32>, %u: tensor<24x16xf32>, %d: tensor<16x24xf32>, %r: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %y = moe.swiglu %x, %g, %u, %d : tensor<?x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32> -> tensor<?x16xf32>
  %h = arith.addf %y, %r : tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// -----

// A result with another reader (the add itself twice, or the return)
// keeps its add.
// CHECK-LABEL: func @swiglu_residual_stays
// CHECK: function(@moe_swiglu_down)
// CHECK: arith.addf %{{.*}}, %{{.*}} : tensor<?x16xf32>
// CHECK: function(@moe_swiglu_down)
// CHECK: arith.addf %{{.*}}, %{{.*}} : tensor<?x16xf32>
func.func @swiglu_residual_stays(%x: tensor<?x16xf32>, %g: tensor<24x16xf32>, %u: tensor<24x16xf32>, %d: tensor<16x24xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %y = moe.swiglu %x, %g, %u, %d : tensor<?x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32> -> tensor<?x16xf32>
  %h = arith.addf %y, %y : tensor<?x16xf32>
  %z = moe.swiglu %h, %g, %u, %d : tensor<?x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32> -> tensor<?x16xf32>
  %h2 = arith.addf %z, %x : tensor<?x16xf32>
  return %h, %h2, %z : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// A residual computed after the block cannot be read by its kernels: the
// add stays.
// CHECK-LABEL: func @swiglu_residual_after
// CHECK: function(@moe_swiglu_down)
// CHECK: %[[R:.*]] = arith.mulf %{{.*}}, %{{.*}} : tensor<?x16xf32>
// CHECK: arith.addf %{{.*}}, %[[R]] : tensor<?x16xf32>
func.func @swiglu_residual_after(%x: tensor<?x16xf32>, %g: tensor<24x16xf32>, %u: tensor<24x16xf32>, %d: tensor<16x24xf32>) -> tensor<?x16xf32> {
  %y = moe.swiglu %x, %g, %u, %d : tensor<?x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32> -> tensor<?x16xf32>
  %r = arith.mulf %x, %x : tensor<?x16xf32>
  %h = arith.addf %y, %r : tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}
