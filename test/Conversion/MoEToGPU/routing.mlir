// RUN: moe-opt %s --split-input-file --convert-moe-to-gpu | FileCheck %s --implicit-check-not="moe."

// Router logits: a warp per four experts of a token, tokens on grid x and
// blocks of four warps on grid y, the lanes reading the router's rows in
// 16-byte vectors and adding their sums with xor shuffles; then softmax a
// thread per token.
// CHECK-LABEL: func @router_scores
// CHECK: %[[SCORES:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: gpu.launch blocks(%[[T:.*]], %{{.*}}, %{{.*}}) in ({{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c128{{.*}}) function(@moe_router_logits)
// CHECK:   vector.load %{{.*}} : memref<8x16xbf16, {{.*}}>, vector<8xbf16>
// CHECK:   arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK-COUNT-20: gpu.shuffle xor
// CHECK:   memref.store %{{.*}}, %[[SCORES]][%[[T]], %{{.*}}]
// CHECK: gpu.launch {{.*}} function(@moe_router_softmax)
// CHECK:   math.exp
// CHECK: bufferization.to_tensor %[[SCORES]] restrict writable
func.func @router_scores(%x: tensor<?x16xf32>, %w: tensor<8x16xbf16>) -> tensor<?x8xf32> {
  %s = moe.router_scores softmax %x, %w : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// Top-k a thread per token, each with its private scratch (memref.alloca in
// the kernel); the grouped variant keeps group scores too.
// CHECK-LABEL: func @topk_noaux_tc
// CHECK: gpu.launch {{.*}} function(@moe_topk)
// CHECK:   memref.alloca() : memref<8xf32>
// CHECK:   memref.alloca() : memref<8xi1>
// CHECK:   memref.alloca() : memref<4xf32>
// CHECK:   memref.alloca() : memref<4xi1>
// CHECK:   gpu.terminator
// CHECK-NOT: gpu.launch
func.func @topk_noaux_tc(%s: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %w, %i = moe.topk noaux_tc %s bias %b {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

// Shared experts join every token's routing, a thread per token.
// CHECK-LABEL: func @append_shared
// CHECK: gpu.launch {{.*}} function(@moe_append_shared_experts)
// CHECK-DAG: arith.constant 8 : i32
// CHECK-DAG: arith.constant 9 : i32
// CHECK: gpu.terminator
func.func @append_shared(%w: tensor<?x2xf32>, %i: tensor<?x2xi32>) -> (tensor<?x4xf32>, tensor<?x4xi32>) {
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %w2, %i2 : tensor<?x4xf32>, tensor<?x4xi32>
}

// -----

// The stable counting sort stays on the device: counts per (chunk of 256
// pairs, expert); in one block, each chunk's start within its expert and
// the experts' totals (a thread per expert), a barrier, then each expert's
// offset summed from the totals before it (the last expert's thread also
// writes the end); then each (chunk, expert) places its pairs in order.
// CHECK-LABEL: func @dispatch
// CHECK: %[[OFFSETS:.*]] = memref.alloc() : memref<9xi32>
// CHECK: %[[PERM:.*]] = memref.alloc(%{{.*}}) : memref<?xi32>
// CHECK: %[[COUNTS:.*]] = memref.alloc(%{{.*}}) : memref<?x8xi32>
// CHECK: gpu.launch {{.*}} function(@moe_dispatch_count)
// CHECK:   arith.cmpi eq
// CHECK:   memref.store %{{.*}}, %[[COUNTS]]
// CHECK: %[[TOTALS:.*]] = memref.alloc() : memref<8xi32>
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}) threads(%[[TID:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c32, %{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}) function(@moe_dispatch_offsets)
// CHECK:   scf.for %[[X:.*]] = %[[TID]] to %c8 step %c32
// CHECK:     memref.store %{{.*}}, %[[COUNTS]]
// CHECK:     memref.store %{{.*}}, %[[TOTALS]][%[[X]]]
// CHECK:   gpu.barrier
// CHECK:   scf.for %[[Y:.*]] = %[[TID]] to %c8 step %c32
// CHECK:     scf.for %{{.*}} = %{{.*}} to %[[Y]]
// CHECK:       memref.load %[[TOTALS]]
// CHECK:     memref.store %{{.*}}, %[[OFFSETS]][%[[Y]]]
// CHECK:     memref.store %{{.*}}, %[[OFFSETS]][%c8{{(_[0-9]+)?}}]
// CHECK: gpu.launch {{.*}} function(@moe_dispatch_scatter)
// CHECK:   memref.load %[[COUNTS]]
// CHECK:   scf.if
// CHECK:     memref.store %{{.*}}, %[[PERM]]
// CHECK-NOT: gpu.launch
func.func @dispatch(%i: tensor<?x2xi32>) -> (tensor<9xi32>, tensor<?xi32>) {
  %o, %p = moe.dispatch %i : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
  return %o, %p : tensor<9xi32>, tensor<?xi32>
}

// -----

// Experts past a block's 1024 threads: each thread takes every 1024th.
// CHECK-LABEL: func @dispatch_many_experts
// CHECK: threads({{.*}}) in (%{{.*}} = %c1024{{(_[0-9]+)?}}, {{.*}}) function(@moe_dispatch_offsets)
// CHECK:   scf.for %{{.*}} = %{{.*}} to %c1500 step %c1024
func.func @dispatch_many_experts(%i: tensor<?x4xi32>) -> (tensor<1501xi32>, tensor<?xi32>) {
  %o, %p = moe.dispatch %i : tensor<?x4xi32> -> tensor<1501xi32>, tensor<?xi32>
  return %o, %p : tensor<1501xi32>, tensor<?xi32>
}

// -----

// Where the router's scores feed only the top-k, and the top-k's results
// only the appending of shared experts, a token's thread does all three in
// one kernel: the softmax into a buffer of its own (the logits stay as the
// router kernel wrote them), the selection, then the shared slots.
// CHECK-LABEL: func @route
// CHECK: %[[LOGITS:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: function(@moe_router_logits)
// CHECK-NOT: gpu.launch
// CHECK: %[[SCORES:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[W:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK: %[[I:.*]] = memref.alloc(%{{.*}}) : memref<?x4xi32>
// CHECK: gpu.launch {{.*}} function(@moe_route)
// CHECK:   memref.load %{{.*}}[%[[T:.*]], %{{.*}}] : memref<?x8xf32
// CHECK:   math.exp
// CHECK:   memref.store %{{.*}}, %[[SCORES]][%[[T]], %{{.*}}]
// CHECK:   memref.alloca() : memref<8xf32>
// CHECK:   memref.store %{{.*}}, %[[I]][%[[T]], %{{.*}}]
// CHECK:   memref.store %{{.*}}, %[[W]][%[[T]], %{{.*}}]
// CHECK:   arith.constant 9 : i32
// CHECK:   gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: bufferization.to_tensor %[[W]]
// CHECK: bufferization.to_tensor %[[I]]
func.func @route(%x: tensor<?x16xf32>, %r: tensor<8x16xbf16>) -> (tensor<?x4xf32>, tensor<?x4xi32>) {
  %s = moe.router_scores softmax %x, %r : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  %w, %i = moe.topk greedy %s : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %w2, %i2 : tensor<?x4xf32>, tensor<?x4xi32>
}

// -----

// Scores with another reader keep their own normalization kernel, and
// top-k results with another reader their own appending kernel.
// CHECK-LABEL: func @route_unfused
// CHECK: function(@moe_router_logits)
// CHECK: function(@moe_router_sigmoid)
// CHECK: function(@moe_topk)
// CHECK: function(@moe_append_shared_experts)
func.func @route_unfused(%x: tensor<?x16xf32>, %r: tensor<8x16xbf16>) -> (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x3xf32>, tensor<?x3xi32>) {
  %s = moe.router_scores sigmoid %x, %r : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  %w, %i = moe.topk greedy %s : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x3xf32>, tensor<?x3xi32>
  return %s, %i, %w2, %i2 : tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x3xf32>, tensor<?x3xi32>
}
