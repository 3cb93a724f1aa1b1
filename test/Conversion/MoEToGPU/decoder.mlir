// RUN: moe-opt %s --split-input-file --convert-moe-to-gpu | FileCheck %s --implicit-check-not="moe."

// A thread per (token, column): the row the id selects, widened to f32.
// CHECK-LABEL: func @embedding
// CHECK: gpu.launch {{.*}} function(@moe_embedding)
// CHECK:   %[[ID:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<?xi32
// CHECK:   %[[ROW:.*]] = arith.index_castui %[[ID]] : i32 to index
// CHECK:   %[[W:.*]] = memref.load %{{.*}}[%[[ROW]], %{{.*}}] : memref<100x16xbf16
// CHECK:   arith.extf %[[W]] : bf16 to f32
func.func @embedding(%table: tensor<100x16xbf16>, %ids: tensor<?xi32>) -> tensor<?x16xf32> {
  %h = moe.embedding %table[%ids] : tensor<100x16xbf16>, tensor<?xi32> -> tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// -----

// A warp per token: each lane sums the squares of every 32nd column, the
// butterfly adds the lanes' sums, then each lane scales its columns.
// CHECK-LABEL: func @rms_norm
// CHECK: %[[T:.*]] = memref.dim
// CHECK: gpu.launch blocks(%[[ROW:[a-z0-9]+]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[T]], {{.*}} function(@moe_rms_norm)
// CHECK:   %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// CHECK:   scf.for %{{.*}} = %[[LANE]] to %c48 step %c32
// CHECK:     arith.mulf
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK:   math.sqrt
// CHECK:   scf.for %[[C:.*]] = %[[LANE]] to %c48 step %c32
// CHECK:     memref.store %{{.*}}, %{{.*}}[%[[ROW]], %[[C]]]
func.func @rms_norm(%x: tensor<?x48xf32>, %w: tensor<48xbf16>) -> tensor<?x48xf32> {
  %y = moe.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x48xf32>, tensor<48xbf16> -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// A warp per four outputs of a token (N = 6: two cells), its lanes taking
// turns over 16-byte vectors of the weight rows (40 bf16: five vectors, so
// lanes past the fifth skip the turn); the activations are read element by
// element, as a view of them may not start aligned. Lane 0 stores.
// CHECK-LABEL: func @linear
// CHECK: gpu.launch {{.*}} function(@moe_linear)
// CHECK:   %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// CHECK:   arith.cmpi ult, %{{.*}}, %c5{{.*}}
// CHECK:   scf.if
// CHECK-COUNT-8: memref.load %{{.*}} : memref<?x40xf32
// CHECK:     vector.from_elements
// CHECK:     vector.load %{{.*}} {alignment = 16 : i64} : memref<6x40xbf16, {{.*}}>, vector<8xbf16>
// CHECK:   vector.reduction <add>
// CHECK-COUNT-5: gpu.shuffle xor %{{.*}} : f32
// CHECK:   arith.cmpi eq, %[[LANE]], %c0
func.func @linear(%x: tensor<?x40xf32>, %w: tensor<6x40xbf16>) -> tensor<?x6xf32> {
  %y = moe.linear %x, %w : (tensor<?x40xf32>, tensor<6x40xbf16>) -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// A thread per value: its pair's partner half a head away, the angle of
// (start + t) times the pair's inverse frequency (a constant table) in f64.
// CHECK-LABEL: func @rope
// CHECK-SAME: %[[START:[a-z0-9]+]]: index)
// CHECK: gpu.launch blocks(%[[T:[a-z0-9]+]], %{{.*}}, %{{.*}}) in {{.*}} function(@moe_rope)
// CHECK:   %[[POS:.*]] = arith.addi %[[START]], %[[T]]
// CHECK:   arith.index_castui %[[POS]] : index to i64
// CHECK:   arith.uitofp %{{.*}} : i64 to f64
// CHECK:   %[[FREQ:.*]] = vector.extract %{{.*}}[%{{.*}}] : f64 from vector<4xf64>
// CHECK:   %[[ANGLE:.*]] = arith.mulf %{{.*}}, %[[FREQ]] : f64
// CHECK:   math.cos %[[ANGLE]] : f64
// CHECK:   math.sin %[[ANGLE]] : f64
// CHECK:   arith.subf
// CHECK:   arith.addf
// CHECK:   arith.select
func.func @rope(%x: tensor<?x16xf32>, %start: index) -> tensor<?x16xf32> {
  %y = moe.rope %x at %start <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A warp per (token, query head, chunk of positions); query heads 2h and
// 2h + 1 read kv head h. The host splits the positions into chunks of at
// least 64 until there are 1024 warps. Four positions per step, up to
// start + t: their scores (the lanes' products added by interleaved
// butterflies, times 1/sqrt(16), -inf past the end), then the running
// softmax: max, rescaled sum and values. One chunk: each lane stores its
// value dimensions of the result; several: the chunk's state, which a
// thread per output merges in chunk order.
// CHECK-LABEL: func @attention
// CHECK-SAME: %[[START:[a-z0-9]+]]: index)
// CHECK: %[[T:.*]] = memref.dim
// CHECK: %[[LENGTH:.*]] = arith.addi %[[START]], %[[T]]
// CHECK: %[[WARPS:.*]] = arith.muli %[[T]], %c4
// CHECK: %[[WANTED:.*]] = arith.divui %{{.*}}, %[[WARPS]]
// CHECK: %[[MOST:.*]] = arith.divui %{{.*}}, %c64
// CHECK: %[[CHUNKS:.*]] = arith.minui %[[WANTED]], %[[MOST]]
// CHECK: %[[POSITIONS:.*]] = arith.divui %{{.*}}, %[[CHUNKS]]
// CHECK: %[[SPLIT:.*]] = arith.cmpi ugt, %[[CHUNKS]], %c1
// CHECK: %[[PARTIAL:.*]] = memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK: %[[STATS:.*]] = memref.alloc(%{{.*}}) : memref<?x2xf32>
// CHECK: gpu.launch blocks(%[[TB:[a-z0-9]+]], %{{.*}}, %{{.*}}) in {{.*}} function(@moe_attention)
// CHECK:   %[[CELL:.*]] = arith.minui
// CHECK:   %[[HEAD:.*]] = arith.divui %[[CELL]], %[[CHUNKS]]
// CHECK:   %[[CHUNK:.*]] = arith.remui %[[CELL]], %[[CHUNKS]]
// CHECK:   %[[KV:.*]] = arith.divui %[[HEAD]], %c2
// CHECK:   %[[FIRST:.*]] = arith.muli %[[CHUNK]], %[[POSITIONS]]
// CHECK:   %[[POS:.*]] = arith.addi %[[START]], %[[TB]]
// CHECK:   %[[OWN:.*]] = arith.addi %[[POS]], %c1
// CHECK:   %[[END:.*]] = arith.minui %[[OWN]], %{{.*}}
// CHECK:   %[[STATE:.*]]:3 = scf.for {{.*}} iter_args(%[[MAX:.*]] = %cst{{.*}}, %{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}) -> (f32, f32, f32)
// CHECK-COUNT-4: memref.load %{{.*}}[%[[KV]], %{{.*}}, %{{.*}}] : memref<2x?x16xbf16
// CHECK-COUNT-20: gpu.shuffle xor
// CHECK:     %[[SCORE:.*]] = arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK:     %[[MASKED:.*]] = arith.select %{{.*}}, %[[SCORE]], %cst{{.*}} : f32
// CHECK:     arith.maximumf %[[MAX]], %[[MASKED]]
// CHECK-COUNT-3: arith.maximumf
// CHECK:     math.exp
// CHECK-COUNT-4: math.exp
// CHECK:     scf.yield
// CHECK:   scf.if %[[SPLIT]] {
// CHECK:     memref.store %[[STATE]]#0, %[[STATS]]
// CHECK:     memref.store %[[STATE]]#1, %[[STATS]]
// CHECK:     memref.store %[[STATE]]#2, %[[PARTIAL]]
// CHECK:   } else {
// CHECK:     arith.divf %[[STATE]]#2, %[[STATE]]#1
// CHECK: scf.if %[[SPLIT]] {
// CHECK:   gpu.launch {{.*}} function(@moe_attention_combine)
// CHECK:     scf.for %{{.*}} = %{{.*}} to %[[CHUNKS]]
// CHECK:       memref.load %[[STATS]]
// CHECK:       memref.load %[[STATS]]
// CHECK:       memref.load %[[PARTIAL]]
// CHECK:       arith.maximumf
// CHECK:     arith.divf
func.func @attention(%q: tensor<?x64xf32>, %k: tensor<2x?x16xbf16>, %v: tensor<2x?x16xbf16>, %start: index) -> tensor<?x64xf32> {
  %o = moe.attention %q, %k, %v at %start heads 4 : tensor<?x64xf32>, tensor<2x?x16xbf16>, tensor<2x?x16xbf16> -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}

// -----

// Matrices [G, K, N]: a thread per output, neighbouring threads reading
// neighbouring n.
// CHECK-LABEL: func @head_matmul
// CHECK: gpu.launch {{.*}} function(@moe_head_matmul)
// CHECK:   %[[G:.*]] = arith.divui %[[C:.*]], %c12
// CHECK:   %[[N:.*]] = arith.remui %[[C]], %c12
// CHECK:   scf.for %[[K:.*]] = %{{.*}} to %c8
// CHECK:     memref.load %{{.*}}[%[[G]], %[[K]], %[[N]]] : memref<4x8x12xbf16
func.func @head_matmul(%x: tensor<?x32xf32>, %w: tensor<4x8x12xbf16>) -> tensor<?x48xf32> {
  %y = moe.head_matmul %x, %w : tensor<?x32xf32>, tensor<4x8x12xbf16> -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// Matrices in Linear layout [G, N, K]: the warp form, one head per warp.
// CHECK-LABEL: func @head_matmul_transposed
// CHECK: gpu.launch {{.*}} function(@moe_head_matmul_t)
// CHECK:   vector.load %{{.*}} : memref<4x12x8xbf16, {{.*}}>, vector<8xbf16>
// CHECK-COUNT-5: gpu.shuffle xor
func.func @head_matmul_transposed(%x: tensor<?x32xf32>, %w: tensor<4x12x8xbf16>) -> tensor<?x48xf32> {
  %y = moe.head_matmul %x, %w transposed : tensor<?x32xf32>, tensor<4x12x8xbf16> -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// A residual epilogue: lane 0 adds the residual's element as it stores.
// CHECK-LABEL: func @linear_residual
// CHECK-SAME: (%{{.*}}: tensor<?x40xf32>, %{{.*}}: tensor<6x40xbf16>, %[[R:[a-z0-9]+]]: tensor<?x6xf32>)
// CHECK: %[[RB:.*]] = bufferization.to_buffer %[[R]]
// CHECK: gpu.launch {{.*}} function(@moe_linear)
// CHECK:   scf.if
// CHECK:     %[[OLD:.*]] = memref.load %[[RB]]
// CHECK:     %[[SUM:.*]] = arith.addf %{{.*}}, %[[OLD]]
// CHECK:     memref.store %[[SUM]]
func.func @linear_residual(%x: tensor<?x40xf32>, %w: tensor<6x40xbf16>, %r: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %y = moe.linear %x, %w residual %r : (tensor<?x40xf32>, tensor<6x40xbf16>, tensor<?x6xf32>) -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// Activations that are a whole buffer take the expert kernels' down
// product: for BF16 weights over whole 32-element steps, tensor-core tiles
// from 8 rows on, chosen on the host; the warp form runs below.
// CHECK-LABEL: func @linear_on_tensor_cores
// CHECK: %[[TILES:.*]] = arith.cmpi uge, %[[T:.*]], %c8
// CHECK: scf.if %[[TILES]] {
// CHECK:   gpu.launch {{.*}} function(@moe_linear_tiles)
// CHECK:     nvvm.mma.sync
// CHECK: } else {
// CHECK:   gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[T]], {{.*}} function(@moe_linear)
// CHECK:   vector.load %{{.*}} : memref<?x64xf32, {{.*}}>, vector<8xf32>
func.func @linear_on_tensor_cores(%xm: memref<?x64xf32>, %w: tensor<48x64xbf16>) -> tensor<?x48xf32> {
  %x = bufferization.to_tensor %xm restrict : memref<?x64xf32> to tensor<?x64xf32>
  %y = moe.linear %x, %w : (tensor<?x64xf32>, tensor<48x64xbf16>) -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// With a residual (a folded add) both forms add it as they store.
// CHECK-LABEL: func @linear_residual_on_tensor_cores
// CHECK-SAME: (%{{.*}}: memref<?x64xf32>, %{{.*}}: tensor<48x64xbf16>, %[[R:[a-z0-9]+]]: tensor<?x48xf32>)
// CHECK: %[[RB:.*]] = bufferization.to_buffer %[[R]]
// CHECK: gpu.launch {{.*}} function(@moe_linear_tiles)
// CHECK:   nvvm.mma.sync
// CHECK:   %[[OLD:.*]] = memref.load %[[RB]]
// CHECK:   %[[SUM:.*]] = arith.addf %{{.*}}, %[[OLD]]
// CHECK:   memref.store %[[SUM]]
// CHECK: } else {
// CHECK:   gpu.launch {{.*}} function(@moe_linear)
// CHECK:     %[[OLD2:.*]] = memref.load %[[RB]]
// CHECK:     %[[SUM2:.*]] = arith.addf %{{.*}}, %[[OLD2]]
// CHECK:     memref.store %[[SUM2]]
func.func @linear_residual_on_tensor_cores(%xm: memref<?x64xf32>, %w: tensor<48x64xbf16>, %r: tensor<?x48xf32>) -> tensor<?x48xf32> {
  %x = bufferization.to_tensor %xm restrict : memref<?x64xf32> to tensor<?x64xf32>
  %y = moe.linear %x, %w residual %r : (tensor<?x64xf32>, tensor<48x64xbf16>, tensor<?x48xf32>) -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// A RoPE epilogue: each warp's outputs are pairs (j, j + 8) of a head of
// 16, so the lane storing one value of a pair holds both. The tiles put
// pair j in A's row g and its partner in row g + 8 (heads of 16 here: one
// tile of 16 outputs per head), the warp form two pairs per warp (4 per
// head); each turns its pairs by the angle of the row's position (f64),
// then adds the residual.
// CHECK-LABEL: func @linear_rope
// CHECK-SAME: %[[START:[a-z0-9]+]]: index
// CHECK: gpu.launch {{.*}} function(@moe_linear_tiles)
// CHECK:   nvvm.mma.sync
// CHECK:   arith.addi %[[START]]
// CHECK:   math.cos %{{.*}} : f64
// CHECK:   math.sin %{{.*}} : f64
// CHECK:   memref.load
// CHECK:   arith.addf
// CHECK:   memref.store
// CHECK: } else {
// CHECK:   gpu.launch {{.*}} function(@moe_linear)
// CHECK:     gpu.shuffle xor
// CHECK:     arith.addi %[[START]]
// CHECK:     math.cos %{{.*}} : f64
func.func @linear_rope(%xm: memref<?x64xf32>, %w: tensor<32x64xbf16>, %r: tensor<?x32xf32>, %start: index) -> tensor<?x32xf32> {
  %x = bufferization.to_tensor %xm restrict : memref<?x64xf32> to tensor<?x64xf32>
  %y = moe.linear %x, %w rope <head_dim = 16, theta = 10000.0, scaling_factor = 1.0> at %start residual %r : (tensor<?x64xf32>, tensor<32x64xbf16>, index, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Activations that are a view, with a RoPE epilogue: copied into a buffer
// of their own, which the expert kernels read.
// CHECK-LABEL: func @linear_rope_view
// CHECK: %[[COPY:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK: memref.copy %{{.*}}, %[[COPY]]
// CHECK: function(@moe_linear_tiles)
func.func @linear_rope_view(%x: tensor<?x64xf32>, %w: tensor<32x64xbf16>, %start: index) -> tensor<?x32xf32> {
  %y = moe.linear %x, %w rope <head_dim = 16, theta = 10000.0, scaling_factor = 1.0> at %start : (tensor<?x64xf32>, tensor<32x64xbf16>, index) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
