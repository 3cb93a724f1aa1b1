// RUN: moe-opt %s --split-input-file --convert-moe-to-vector="vector-width=8" | FileCheck %s --implicit-check-not="moe."

// The projection: the RoPE angles of each row once (inverse frequencies
// folded at compile time, over the linear scaling factor of 2), then
// dot-product tiles over (row block, column block) items. A tile holds whole
// (j, j + head_dim/2) pairs, turns them in registers, adds the residual and
// stores.
// CHECK-LABEL: func @linear_rope_residual
// CHECK: arith.constant dense<[5.000000e-01, 5.000000e-02, 5.000000e-03, 5.000000e-04]> : tensor<4xf64>
// CHECK: %[[COS:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK: %[[SIN:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK: scf.forall
// CHECK:   math.cos %{{.*}} : f64
// CHECK:   math.sin %{{.*}} : f64
// CHECK: scf.forall
// CHECK:   vector.load %{{.*}} : memref<32x32xbf16, strided<[?, 1], offset: ?>>, vector<8xbf16>
// CHECK:   arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:   vector.fma
// CHECK:   %[[A:.*]] = vector.reduction <add>
// CHECK:   %[[C:.*]] = memref.load %[[COS]]
// CHECK:   %[[S:.*]] = memref.load %[[SIN]]
// CHECK:   %[[AC:.*]] = arith.mulf %[[A]], %[[C]] : f32
// CHECK:   %[[BS:.*]] = arith.mulf %[[B:.*]], %[[S]] : f32
// CHECK:   %[[RA:.*]] = arith.subf %[[AC]], %[[BS]] : f32
// CHECK:   %[[BC:.*]] = arith.mulf %[[B]], %[[C]] : f32
// CHECK:   %[[AS:.*]] = arith.mulf %[[A]], %[[S]] : f32
// CHECK:   %[[RB:.*]] = arith.addf %[[BC]], %[[AS]] : f32
// CHECK:   %[[R:.*]] = memref.load %{{.*}} : memref<?x32xf32, strided<[?, ?], offset: ?>>
// CHECK:   %[[Y:.*]] = arith.addf %[[RA]], %[[R]] : f32
// CHECK:   memref.store %[[Y]]
func.func @linear_rope_residual(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %r: tensor<?x32xf32>, %s: index) -> tensor<?x32xf32> {
  %y = moe.linear %x, %w rope <head_dim = 8, theta = 10000.0, scaling_factor = 2.0> at %s residual %r : (tensor<?x32xf32>, tensor<32x32xbf16>, index, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Without epilogues: items are (column block, row block); 128 columns in
// blocks of 64 split a one-row decode step over two items.
// CHECK-LABEL: func @linear
// CHECK: %[[BLOCKS:.*]] = arith.divui
// CHECK: %[[ITEMS:.*]] = arith.muli %[[BLOCKS]], %c2
// CHECK: scf.forall (%{{.*}}) in (%[[ITEMS]])
// CHECK:   vector.load %{{.*}} : memref<128x32xf16, strided<[?, 1], offset: ?>>, vector<8xf16>
// CHECK:   vector.fma
// CHECK:   memref.store %{{.*}} : memref<?x128xf32>
func.func @linear(%x: tensor<?x32xf32>, %w: tensor<128x32xf16>) -> tensor<?x128xf32> {
  %y = moe.linear %x, %w : (tensor<?x32xf32>, tensor<128x32xf16>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Causal attention, one item per (head, query row): blocks of 8 keys with
// the running maximum and denominator carried, keys past the query's
// position masked to -inf, the output row rescaled per block, then divided.
// CHECK-LABEL: func @attention
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x32xf32>
// CHECK: scf.forall
// CHECK:   vector.store %{{.*}}, %[[OUT]]
// CHECK:   %[[STATS:.*]]:2 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8{{.*}} iter_args(%[[M:.*]] = %cst{{.*}}, %[[L:.*]] = %cst{{.*}}) -> (f32, f32)
// CHECK:     vector.fma
// CHECK:     vector.reduction <add>
// CHECK:     arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : f32
// CHECK:     %[[MAX:.*]] = arith.maximumf %[[M]]
// CHECK:     math.exp
// CHECK:     vector.fma
// CHECK:     vector.store %{{.*}}, %[[OUT]]
// CHECK:   arith.divf %{{.*}}, %[[STATS]]#1 : f32
// CHECK:   vector.store %{{.*}}, %[[OUT]]
func.func @attention(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf32>, %v: tensor<2x?x8xf32>, %s: index) -> tensor<?x32xf32> {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}

// -----

// RMSNorm per row: the sum of squares in vector registers, then
// x * (1 / sqrt(mean + eps)) * weight.
// CHECK-LABEL: func @rms_norm
// CHECK: scf.forall
// CHECK:   vector.fma %[[V:.*]], %[[V]]
// CHECK:   vector.reduction <add>
// CHECK:   %[[MEAN:.*]] = arith.divf %{{.*}}, %cst{{.*}} : f32
// CHECK:   %[[SUMEPS:.*]] = arith.addf %[[MEAN]], %cst{{.*}} : f32
// CHECK:   %[[ROOT:.*]] = math.sqrt %[[SUMEPS]] : f32
// CHECK:   %[[INV:.*]] = arith.divf %cst{{.*}}, %[[ROOT]] : f32
// CHECK:   vector.broadcast %[[INV]] : f32 to vector<8xf32>
// CHECK:   arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:   vector.store
func.func @rms_norm(%x: tensor<?x32xf32>, %w: tensor<32xbf16>) -> tensor<?x32xf32> {
  %y = moe.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x32xf32>, tensor<32xbf16> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Embedding rows copied with the table widened in registers; H = 36 leaves
// a scalar tail.
// CHECK-LABEL: func @embedding
// CHECK: scf.forall (%[[T:.*]]) in
// CHECK:   %[[ID:.*]] = memref.load %{{.*}}[%[[T]]]
// CHECK:   %[[ROW:.*]] = arith.index_castui %[[ID]] : i32 to index
// CHECK:   vector.load %{{.*}}[%[[ROW]], %{{.*}}] : memref<50x36xbf16, strided<[?, 1], offset: ?>>, vector<8xbf16>
// CHECK:   vector.store
// CHECK:   memref.load %{{.*}}[%[[ROW]], %{{.*}}] : memref<50x36xbf16
// CHECK:   arith.extf %{{.*}} : bf16 to f32
func.func @embedding(%t: tensor<50x36xbf16>, %ids: tensor<?xi32>) -> tensor<?x36xf32> {
  %x = moe.embedding %t[%ids] : tensor<50x36xbf16>, tensor<?xi32> -> tensor<?x36xf32>
  return %x : tensor<?x36xf32>
}

// -----

// A standalone RoPE: the angle table once, then every pair of every head.
// CHECK-LABEL: func @rope
// CHECK: scf.forall
// CHECK:   math.cos
// CHECK: scf.forall
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       arith.subf
// CHECK:       arith.addf
func.func @rope(%x: tensor<?x32xf32>, %s: index) -> tensor<?x32xf32> {
  %y = moe.rope %x at %s <head_dim = 16, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// A half-precision cache is widened as it is read: f16 keys and values come
// in as vectors and are extended before the FMAs.
// CHECK-LABEL: func @attention_f16_cache
// CHECK: %[[K:.*]] = vector.load %{{.*}} : memref<2x?x8xf16, {{.*}}>, vector<8xf16>
// CHECK: %[[KW:.*]] = arith.extf %[[K]] : vector<8xf16> to vector<8xf32>
// CHECK: vector.fma %{{.*}}, %[[KW]]
// CHECK: %[[V:.*]] = vector.load %{{.*}} : memref<2x?x8xf16, {{.*}}>, vector<8xf16>
// CHECK: arith.extf %[[V]] : vector<8xf16> to vector<8xf32>
func.func @attention_f16_cache(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf16>, %v: tensor<2x?x8xf16>, %s: index) -> tensor<?x32xf32> {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xf16>, tensor<2x?x8xf16> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}
