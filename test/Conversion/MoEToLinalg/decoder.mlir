// RUN: moe-opt %s --split-input-file --convert-moe-to-linalg | FileCheck %s --implicit-check-not="moe."

// The projection: a matmul with the weight widened in the body, RoPE as an
// elementwise op that reads each element's partner (j +- head_dim/2) with the
// angle in f64, then the residual add.
// CHECK-LABEL: func @linear_rope_residual
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[ROT:.*]] = linalg.generic {{.*}} outs(
// CHECK:   arith.cmpi ult
// CHECK:   math.powf %{{.*}} : f64
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
