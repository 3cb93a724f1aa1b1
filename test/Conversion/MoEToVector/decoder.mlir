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

// Causal attention, one item per (query row, block of the 2 query heads
// that share a key/value head): blocks of 8 keys, each serving both heads,
// with each head's running maximum and denominator kept per item, keys past
// the query's position masked to -inf, the output rows rescaled per block,
// then divided.
// CHECK-LABEL: func @attention
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x32xf32>
// CHECK: %[[MAXIMA:.*]] = memref.alloc(%{{.*}}) : memref<?x2xf32>
// CHECK: %[[SUMS:.*]] = memref.alloc(%{{.*}}) : memref<?x2xf32>
// CHECK: scf.forall (%[[ITEM:.*]]) in
// CHECK:   vector.store %{{.*}}, %[[OUT]]
// CHECK:   memref.store %{{.*}}, %[[MAXIMA]][%[[ITEM]], %{{.*}}]
// CHECK:   scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8
// CHECK:     scf.for %[[HEAD:.*]] = %c0{{.*}} to %c2{{.*}} step %c1
// CHECK:       %[[M:.*]] = memref.load %[[MAXIMA]][%[[ITEM]], %[[HEAD]]]
// CHECK:       vector.fma
// CHECK:       vector.reduction <add>
// CHECK:       arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : f32
// CHECK:       arith.maximumf %[[M]]
// CHECK:       math.exp
// CHECK:       vector.fma
// CHECK:       vector.store %{{.*}}, %[[OUT]]
// CHECK:       memref.store %{{.*}}, %[[SUMS]][%[[ITEM]], %[[HEAD]]]
// CHECK:   %[[L:.*]] = memref.load %[[SUMS]]
// CHECK:   arith.divf %{{.*}}, %[[L]] : f32
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

// -----

// Untransposed per-head weights [G, K, N] are contiguous along the outputs:
// per (head, block of rows) item, each row keeps 4 output vectors and adds
// every input (broadcast) times its weight row.
// CHECK-LABEL: func @head_matmul
// CHECK: scf.forall
// CHECK:   %[[SUMS:.*]]:4 = scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:     %[[X:.*]] = memref.load %{{.*}} : memref<?x64xf32, strided<[?, 1], offset: ?>>
// CHECK:     %[[XS:.*]] = vector.broadcast %[[X]] : f32 to vector<8xf32>
// CHECK:     %[[W:.*]] = vector.load %{{.*}} : memref<4x16x32xbf16, strided<[?, ?, 1], offset: ?>>, vector<8xbf16>
// CHECK:     %[[WF:.*]] = arith.extf %[[W]] : vector<8xbf16> to vector<8xf32>
// CHECK:     vector.fma %[[XS]], %[[WF]]
// CHECK:   vector.store %[[SUMS]]#0
// CHECK:   vector.store %[[SUMS]]#3
func.func @head_matmul(%x: tensor<?x64xf32>, %w: tensor<4x16x32xbf16>) -> tensor<?x128xf32> {
  %y = moe.head_matmul %x, %w : tensor<?x64xf32>, tensor<4x16x32xbf16> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Transposed per-head weights [G, N, K] are contiguous along the
// contraction: the dot-product register tiles of moe.linear, per head.
// CHECK-LABEL: func @head_matmul_transposed
// CHECK: scf.forall
// CHECK:   vector.load %{{.*}} : memref<?x128xf32, strided<[?, 1], offset: ?>>, vector<8xf32>
// CHECK:   vector.load %{{.*}} : memref<4x16x32xbf16, strided<[?, ?, 1], offset: ?>>, vector<8xbf16>
// CHECK:   vector.fma
// CHECK:   vector.reduction <add>
func.func @head_matmul_transposed(%x: tensor<?x128xf32>, %w: tensor<4x16x32xbf16>) -> tensor<?x64xf32> {
  %y = moe.head_matmul %x, %w transposed : tensor<?x128xf32>, tensor<4x16x32xbf16> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Interleaved pairs (x_2j, x_2j+1) with given frequencies; cos and sin are
// scaled by the attention factor in f64 before they are rounded.
// CHECK-LABEL: func @rope_interleaved
// CHECK: arith.constant dense<[1.000000e+00, 1.000000e-01, 1.000000e-02, 1.000000e-03]> : tensor<4xf64>
// CHECK: scf.forall
// CHECK:   %[[FACTOR:.*]] = arith.constant 1.500000e+00 : f64
// CHECK:   %[[COS:.*]] = math.cos
// CHECK:   arith.mulf %[[COS]], %[[FACTOR]] : f64
// CHECK: scf.forall
// CHECK:   %[[TWOJ:.*]] = arith.muli %{{.*}}, %c2{{.*}} : index
// CHECK:   %[[FIRST:.*]] = arith.addi %{{.*}}, %[[TWOJ]] : index
// CHECK:   %[[SECOND:.*]] = arith.addi %[[FIRST]], %c1{{.*}} : index
// CHECK:   memref.store %{{.*}}, %{{.*}}[%{{.*}}, %[[FIRST]]]
// CHECK:   memref.store %{{.*}}, %{{.*}}[%{{.*}}, %[[SECOND]]]
func.func @rope_interleaved(%x: tensor<?x32xf32>, %s: index) -> tensor<?x32xf32> {
  %y = moe.rope %x at %s <head_dim = 8, frequencies = array<f64: 1.0, 0.1, 0.01, 0.001>, attention_factor = 1.5, pairs = interleaved> : tensor<?x32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// An attention whose values are narrower than its keys (MLA on the
// compressed cache): dots over the 40-wide keys, output rows 32 wide.
// CHECK-LABEL: func @attention_narrow_values
// CHECK: memref.alloc(%{{.*}}) : memref<?x128xf32>
// CHECK: vector.load %{{.*}} : memref<1x?x40xbf16, {{.*}}>, vector<8xbf16>
// CHECK: vector.load %{{.*}} : memref<1x?x32xbf16, {{.*}}>, vector<8xbf16>
func.func @attention_narrow_values(%q: tensor<?x160xf32>, %k: tensor<1x?x40xbf16>, %v: tensor<1x?x32xbf16>, %s: index) -> tensor<?x128xf32> {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x160xf32>, tensor<1x?x40xbf16>, tensor<1x?x32xbf16> -> tensor<?x128xf32>
  return %o : tensor<?x128xf32>
}
