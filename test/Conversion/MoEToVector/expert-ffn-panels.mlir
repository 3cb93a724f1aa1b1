// RUN: moe-opt %s --convert-moe-to-vector="vector-width=8 rows=3 gate-up-cols=1 down-cols=2" --canonicalize | FileCheck %s

// Weights in panels of 8 outputs x 2 bf16 inputs: the kernels read the
// packed buffers in place, outer products of one widened panel step with a
// broadcast activation.
// CHECK-LABEL: func @expert_ffn_panels
// CHECK-NOT: moe.unpack_weights
// Activations and slot rows padded to whole panels (I 12 -> 16, H 40).
// CHECK: memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?x40xf32>
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3, 4]] : memref<4x2x20x8x2xbf16> into memref<4x2x320xbf16>
// CHECK: scf.forall
// A step loads 8 bf16 pairs as one vector and widens each half without a
// shuffle: the low halves shifted up, the high halves masked.
// CHECK: scf.for
// CHECK: vector.load %{{.*}} : memref<4x2x320xbf16>, vector<16xbf16>
// CHECK: vector.bitcast %{{.*}} : vector<16xbf16> to vector<8xi32>
// CHECK: arith.shli
// CHECK: vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: vector.fma
// CHECK: arith.andi
// CHECK: vector.fma
// The SwiGLU epilogue runs on whole vectors.
// CHECK: math.exp %{{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}} : memref<?x16xf32>, vector<8xf32>
// Rows past the last full tile of 3: one body per count.
// CHECK: scf.index_switch
// CHECK: case 1
// CHECK: case 2
// Down: the routing weight scales whole panel vectors of the slot row.
// CHECK: scf.forall
// CHECK: vector.load %{{.*}} : memref<4x5x96xbf16>, vector<16xbf16>
// CHECK: vector.fma
// CHECK: arith.mulf %{{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}} : memref<?x40xf32>, vector<8xf32>
func.func @expert_ffn_panels(%x: tensor<?x40xf32>, %p: tensor<?xi32>, %off: tensor<7xi32>, %w: tensor<?x4xf32>,
    %pg: tensor<4x2x20x8x2xbf16>, %pu: tensor<4x2x20x8x2xbf16>, %pd: tensor<4x5x6x8x2xbf16>,
    %psg: tensor<2x2x20x8x2xbf16>, %psu: tensor<2x2x20x8x2xbf16>, %psd: tensor<2x5x6x8x2xbf16>) -> tensor<?x40xf32> {
  %g = moe.unpack_weights %pg : tensor<4x2x20x8x2xbf16> -> tensor<4x12x40xbf16>
  %u = moe.unpack_weights %pu : tensor<4x2x20x8x2xbf16> -> tensor<4x12x40xbf16>
  %d = moe.unpack_weights %pd : tensor<4x5x6x8x2xbf16> -> tensor<4x40x12xbf16>
  %sg = moe.unpack_weights %psg {concat_dim = 0} : tensor<2x2x20x8x2xbf16> -> tensor<24x40xbf16>
  %su = moe.unpack_weights %psu {concat_dim = 0} : tensor<2x2x20x8x2xbf16> -> tensor<24x40xbf16>
  %sd = moe.unpack_weights %psd {concat_dim = 1} : tensor<2x5x6x8x2xbf16> -> tensor<40x24xbf16>
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x40xf32>, tensor<?xi32>, tensor<7xi32>, tensor<?x4xf32>, tensor<4x12x40xbf16>, tensor<4x12x40xbf16>, tensor<4x40x12xbf16>, tensor<24x40xbf16>, tensor<24x40xbf16>, tensor<40x24xbf16>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// A dense MLP in panels (one matrix each) runs on the same kernels; f32
// weights keep one input per step (Q = 1), no widening.
// CHECK-LABEL: func @dense_panels
// CHECK-NOT: moe.unpack_weights
// CHECK: vector.load %{{.*}} : memref<1x2x320xf32>, vector<8xf32>
// CHECK-NOT: arith.shli
// CHECK: vector.fma
func.func @dense_panels(%x: tensor<?x40xf32>, %pg: tensor<1x2x40x8x1xf32>, %pu: tensor<1x2x40x8x1xf32>, %pd: tensor<1x5x12x8x1xf32>) -> tensor<?x40xf32> {
  %g = moe.unpack_weights %pg {concat_dim = 0} : tensor<1x2x40x8x1xf32> -> tensor<12x40xf32>
  %u = moe.unpack_weights %pu {concat_dim = 0} : tensor<1x2x40x8x1xf32> -> tensor<12x40xf32>
  %d = moe.unpack_weights %pd {concat_dim = 1} : tensor<1x5x12x8x1xf32> -> tensor<40x12xf32>
  %y = moe.swiglu %x, %g, %u, %d : tensor<?x40xf32>, tensor<12x40xf32>, tensor<12x40xf32>, tensor<40x12xf32> -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// Shared experts kept apart are one MLP of width S * I, which two matrices
// in panels are not: the dot-product kernels read a copy.
// CHECK-LABEL: func @shared_apart
// CHECK: moe.unpack_weights
// CHECK: vector.reduction <add>
func.func @shared_apart(%x: tensor<?x40xf32>, %pg: tensor<2x2x20x8x2xbf16>, %pd: tensor<2x5x6x8x2xbf16>) -> tensor<?x40xf32> {
  %g = moe.unpack_weights %pg {concat_dim = 0} : tensor<2x2x20x8x2xbf16> -> tensor<24x40xbf16>
  %d = moe.unpack_weights %pd {concat_dim = 1} : tensor<2x5x6x8x2xbf16> -> tensor<40x24xbf16>
  %y = moe.swiglu %x, %g, %g, %d : tensor<?x40xf32>, tensor<24x40xbf16>, tensor<24x40xbf16>, tensor<40x24xbf16> -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// Gate and up with different input steps (Q 1 and 2: a stack of mixed
// element types is F32) share no tile: the dot-product kernels read a copy.
// CHECK-LABEL: func @mixed_steps
// CHECK: moe.unpack_weights
// CHECK: vector.reduction <add>
func.func @mixed_steps(%x: tensor<?x40xf32>, %p: tensor<?xi32>, %off: tensor<5xi32>, %w: tensor<?x2xf32>,
    %pg: tensor<4x2x40x8x1xf32>, %pu: tensor<4x2x20x8x2xbf16>, %pd: tensor<4x5x6x8x2xbf16>) -> tensor<?x40xf32> {
  %g = moe.unpack_weights %pg : tensor<4x2x40x8x1xf32> -> tensor<4x12x40xf32>
  %u = moe.unpack_weights %pu : tensor<4x2x20x8x2xbf16> -> tensor<4x12x40xbf16>
  %d = moe.unpack_weights %pd : tensor<4x5x6x8x2xbf16> -> tensor<4x40x12xbf16>
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) : (tensor<?x40xf32>, tensor<?xi32>, tensor<5xi32>, tensor<?x2xf32>, tensor<4x12x40xf32>, tensor<4x12x40xbf16>, tensor<4x40x12xbf16>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
