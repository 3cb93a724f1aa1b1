// RUN: moe-opt %s --split-input-file --convert-moe-to-linalg | FileCheck %s --implicit-check-not="moe."

// The projection: a matmul with the weight widened in the body, RoPE as an
// elementwise op that reads each element's partner (j +- head_dim/2) with the
// angle in f64 from a table of inverse frequencies, then the residual add.
// CHECK-LABEL: func @linear_rope_residual
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[ROT:.*]] = linalg.generic {{.*}} outs(
// CHECK:   arith.cmpi ult
// CHECK:   tensor.extract %[[FREQS:.*]][
// CHECK:   math.cos %{{.*}} : f64
// CHECK:   tensor.extract %[[MM]]
// CHECK:   tensor.extract %[[MM]]
// CHECK: linalg.generic {{.*}} ins(%[[ROT]], %{{.*}} : tensor<?x32xf32>, tensor<?x32xf32>)
// CHECK:   arith.addf
func.func @linear_rope_residual(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %r: tensor<?x32xf32>, %s: index) -> tensor<?x32xf32> {
  %y = moe.linear %x, %w rope <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> at %s residual %r : (tensor<?x32xf32>, tensor<32x32xbf16>, index, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// RMSNorm: a reduction of squares per row, then the scaled row. The hidden
// size is dynamic here, so the mean divides by the runtime size.
// CHECK-LABEL: func @rms_norm
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:   arith.mulf
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[SQ]], %{{.*}} : tensor<?x?xf32>, tensor<?xf32>, tensor<?xbf16>)
// CHECK:   tensor.dim
// CHECK:   math.sqrt
func.func @rms_norm(%x: tensor<?x?xf32>, %w: tensor<?xbf16>) -> tensor<?x?xf32> {
  %y = moe.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x?xf32>, tensor<?xbf16> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func @embedding
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?xi32>)
// CHECK:   %[[ROW:.*]] = arith.index_castui %{{.*}} : i32 to index
// CHECK:   %[[E:.*]] = tensor.extract %{{.*}}[%[[ROW]], %{{.*}}] : tensor<50x?xf16>
// CHECK:   arith.extf %[[E]] : f16 to f32
func.func @embedding(%t: tensor<50x?xf16>, %ids: tensor<?xi32>) -> tensor<?x?xf32> {
  %x = moe.embedding %t[%ids] : tensor<50x?xf16>, tensor<?xi32> -> tensor<?x?xf32>
  return %x : tensor<?x?xf32>
}

// -----

// Attention as scalar loops per (query, head): the maximum of the scaled
// scores over keys 0 .. start + t, the softmax denominator, then the
// weighted values.
// CHECK-LABEL: func @attention
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x32xf32>
// CHECK: scf.for %[[T:.*]] = {{.*}} {
// CHECK:   %[[VISIBLE:.*]] = arith.addi %{{.*}}, %c1{{.*}} : index
// CHECK:   scf.for %[[H:.*]] = {{.*}} {
// CHECK:     %[[MAX:.*]] = scf.for %{{.*}} = %c0{{.*}} to %[[VISIBLE]] {{.*}} -> (f32)
// CHECK:       arith.maximumf
// CHECK:     %[[SUM:.*]] = scf.for %{{.*}} = %c0{{.*}} to %[[VISIBLE]] {{.*}} -> (f32)
// CHECK:       arith.subf %{{.*}}, %[[MAX]]
// CHECK:       math.exp
// CHECK:     scf.for %{{.*}} = %c0{{.*}} to %[[VISIBLE]]
// CHECK:       arith.divf %{{.*}}, %[[SUM]]
// CHECK:       memref.store %{{.*}}, %[[OUT]]
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
func.func @attention(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf32>, %v: tensor<2x?x8xf32>, %s: index) -> tensor<?x32xf32> {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}

// -----

// A bf16 cache: each key and value element is widened as it is read.
// CHECK-LABEL: func @attention_bf16_cache
// CHECK: %[[K:.*]] = memref.load %{{.*}} : memref<2x?x8xbf16, {{.*}}>
// CHECK: arith.extf %[[K]] : bf16 to f32
// CHECK: %[[V:.*]] = memref.load %{{.*}} : memref<2x?x8xbf16, {{.*}}>
// CHECK: arith.extf %[[V]] : bf16 to f32
func.func @attention_bf16_cache(%q: tensor<?x32xf32>, %k: tensor<2x?x8xbf16>, %v: tensor<2x?x8xbf16>, %s: index) -> tensor<?x32xf32> {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xbf16>, tensor<2x?x8xbf16> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}

// -----

// Per-head products: x [T, G*K] as [T, G, K] against [G, K, N] (or, with
// `transposed`, [G, N, K]) in one generic over (t, g, n, k).
// CHECK-DAG: #[[$WKN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3, d2)>
// CHECK-DAG: #[[$WNK:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-LABEL: func @head_matmul
// CHECK: %[[X3:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 4, 16] : tensor<?x64xf32> into tensor<?x4x16xf32>
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[$X:.*]], #[[$WKN]], #[[$OUT:.*]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[X3]], %{{.*}} : tensor<?x4x16xf32>, tensor<4x16x32xbf16>)
// CHECK:   arith.extf %{{.*}} : bf16 to f32
// CHECK: tensor.collapse_shape %[[P]] {{\[\[}}0], [1, 2]] : tensor<?x4x32xf32> into tensor<?x128xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$X]], #[[$WNK]], #[[$OUT]]]
func.func @head_matmul(%x: tensor<?x64xf32>, %w: tensor<4x16x32xbf16>) -> tensor<?x64xf32> {
  %y = moe.head_matmul %x, %w : tensor<?x64xf32>, tensor<4x16x32xbf16> -> tensor<?x128xf32>
  %z = moe.head_matmul %y, %w transposed : tensor<?x128xf32>, tensor<4x16x32xbf16> -> tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}

// -----

// Interleaved RoPE: the partner of an even column is the next one, of an
// odd column the previous one.
// CHECK-LABEL: func @rope_interleaved
// CHECK: linalg.generic
// CHECK:   arith.remui %{{.*}}, %c2
// CHECK:   arith.cmpi eq
// CHECK:   arith.divui %{{.*}}, %c2
// CHECK:   arith.addi %{{.*}}, %c1
// CHECK:   arith.subi %{{.*}}, %c1
func.func @rope_interleaved(%x: tensor<?x32xf32>, %s: index) -> tensor<?x32xf32> {
  %y = moe.rope %x at %s <head_dim = 8, frequencies = array<f64: 1.0, 0.1, 0.01, 0.001>, pairs = interleaved> : tensor<?x32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
