// RUN: moe-opt %s | moe-opt | FileCheck %s
// RUN: moe-opt %s --mlir-print-op-generic | moe-opt | FileCheck %s

// CHECK-LABEL: func @router_scores
func.func @router_scores(%x: tensor<?x16xf32>, %w: tensor<8x16xbf16>,
                         %w32: tensor<8x16xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  // CHECK: moe.router_scores softmax %{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  %s = moe.router_scores softmax %x, %w : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  // CHECK: moe.router_scores sigmoid %{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  %t = moe.router_scores sigmoid %x, %w32 : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %s, %t : tensor<?x8xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func @topk_variants
func.func @topk_variants(%s: tensor<?x8xf32>, %b: tensor<8xf32>) {
  // CHECK: moe.topk greedy %[[S:.*]] : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w0, %i0 = moe.topk greedy %s : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  // CHECK: moe.topk greedy %[[S]] {norm_topk_prob = true} :
  %w1, %i1 = moe.topk greedy %s {norm_topk_prob = true} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  // CHECK: moe.topk group_limited_greedy %[[S]] {n_group = 4 : i64, routed_scaling_factor = 1.600000e+01 : f64, topk_group = 2 : i64} :
  %w2, %i2 = moe.topk group_limited_greedy %s {n_group = 4, topk_group = 2, routed_scaling_factor = 16.0} : tensor<?x8xf32> -> tensor<?x3xf32>, tensor<?x3xi32>
  // CHECK: moe.topk noaux_tc %[[S]] bias %[[B:.*]] {n_group = 4 : i64, norm_topk_prob = true, routed_scaling_factor = 2.500000e+00 : f64, topk_group = 2 : i64} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  %w3, %i3 = moe.topk noaux_tc %s bias %b {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return
}

// CHECK-LABEL: func @dispatch_permute_combine
func.func @dispatch_permute_combine(%x: tensor<5x16xf32>, %w: tensor<5x2xf32>,
                                    %i: tensor<5x2xi32>) -> tensor<5x16xf32> {
  // CHECK: %[[OFF:.*]], %[[PERM:.*]] = moe.dispatch %{{.*}} : tensor<5x2xi32> -> tensor<9xi32>, tensor<10xi32>
  %offsets, %perm = moe.dispatch %i : tensor<5x2xi32> -> tensor<9xi32>, tensor<10xi32>
  // CHECK: %[[XS:.*]] = moe.permute %{{.*}}[%[[PERM]]] top_k 2 : tensor<5x16xf32>, tensor<10xi32> -> tensor<10x16xf32>
  %xs = moe.permute %x[%perm] top_k 2 : tensor<5x16xf32>, tensor<10xi32> -> tensor<10x16xf32>
  // CHECK: moe.combine %[[XS]][%[[PERM]]], %{{.*}} : tensor<10x16xf32>, tensor<10xi32>, tensor<5x2xf32> -> tensor<5x16xf32>
  %y = moe.combine %xs[%perm], %w : tensor<10x16xf32>, tensor<10xi32>, tensor<5x2xf32> -> tensor<5x16xf32>
  return %y : tensor<5x16xf32>
}

// CHECK-LABEL: func @experts
func.func @experts(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %off2: tensor<11xi32>,
                   %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>,
                   %sg: tensor<8x16xf16>, %su: tensor<8x16xf16>, %sd: tensor<16x8xf16>) {
  // CHECK: moe.grouped_swiglu %{{.*}}, %{{.*}} experts(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %0 = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  // CHECK: moe.grouped_swiglu %{{.*}}, %{{.*}} experts(%{{.*}}, %{{.*}}, %{{.*}}) shared(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x16xf32>, tensor<11xi32>, {{.*}}, tensor<8x16xf16>, tensor<8x16xf16>, tensor<16x8xf16>) -> tensor<?x16xf32>
  %1 = moe.grouped_swiglu %xs, %off2 experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xf16>, tensor<8x16xf16>, tensor<16x8xf16>) -> tensor<?x16xf32>
  // CHECK: moe.swiglu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<8x16xf16>, tensor<8x16xf16>, tensor<16x8xf16> -> tensor<?x16xf32>
  %2 = moe.swiglu %xs, %sg, %su, %sd : tensor<?x16xf32>, tensor<8x16xf16>, tensor<8x16xf16>, tensor<16x8xf16> -> tensor<?x16xf32>
  return
}

// CHECK-LABEL: func @append_shared_experts
func.func @append_shared_experts(%w: tensor<?x2xf32>, %i: tensor<?x2xi32>) {
  // CHECK: moe.append_shared_experts %{{.*}}, %{{.*}} first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return
}

// CHECK-LABEL: func @blocks
func.func @blocks(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %b: tensor<8xf32>,
                  %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>,
                  %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) {
  // CHECK: moe.block %{{.*}} router(%{{.*}}) experts(%{{.*}}, %{{.*}}, %{{.*}}) shared(%{{.*}}, %{{.*}}, %{{.*}}) scoring = softmax method = greedy top_k = 2 :
  %0 = moe.block %x router(%wr) experts(%g, %u, %d) shared(%sg, %su, %sd) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  // CHECK: moe.block %{{.*}} router(%{{.*}}, bias %{{.*}}) experts(%{{.*}}, %{{.*}}, %{{.*}}) scoring = sigmoid method = noaux_tc top_k = 3 {n_group = 4 : i64, norm_topk_prob = true, routed_scaling_factor = 2.500000e+00 : f64, topk_group = 2 : i64} :
  %1 = moe.block %x router(%wr, bias %b) experts(%g, %u, %d) scoring = sigmoid method = noaux_tc top_k = 3 {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  // CHECK: moe.block %{{.*}} router(%{{.*}}) experts(%{{.*}}, %{{.*}}, %{{.*}}) scoring = softmax method = group_limited_greedy top_k = 2 {n_group = 2 : i64, routed_scaling_factor = 1.600000e+01 : f64} :
  %2 = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = group_limited_greedy top_k = 2 {n_group = 2, topk_group = 1, routed_scaling_factor = 16.0} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// CHECK-LABEL: func @expert_ffn
func.func @expert_ffn(%x: tensor<?x16xf32>, %p: tensor<?xi32>, %off: tensor<11xi32>, %w: tensor<?x4xf32>,
                      %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>,
                      %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) -> tensor<?x16xf32> {
  // CHECK: moe.expert_ffn %{{.*}}[%{{.*}}], %{{.*}}, %{{.*}} experts(%{{.*}}, %{{.*}}, %{{.*}}) shared(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x16xf32>, tensor<?xi32>, tensor<11xi32>, tensor<?x4xf32>, {{.*}}) -> tensor<?x16xf32>
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<?xi32>, tensor<11xi32>, tensor<?x4xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// The decoder-layer ops around the MLP block.
// CHECK-LABEL: func @decoder_ops
func.func @decoder_ops(%ids: tensor<?xi32>, %table: tensor<64x32xbf16>, %nw: tensor<32xbf16>,
                       %wq: tensor<32x32xbf16>, %wk: tensor<16x32xf16>, %kc: tensor<2x?x8xf32>,
                       %vc: tensor<2x?x8xf32>, %c4: tensor<4x?x8xf32>, %kh: tensor<2x?x8xbf16>, %start: index) -> tensor<?x32xf32> {
  // CHECK: %[[X:.*]] = moe.embedding %{{.*}}[%{{.*}}] : tensor<64x32xbf16>, tensor<?xi32> -> tensor<?x32xf32>
  %x = moe.embedding %table[%ids] : tensor<64x32xbf16>, tensor<?xi32> -> tensor<?x32xf32>
  // CHECK: %[[N:.*]] = moe.rms_norm %[[X]], %{{.*}} epsilon 9.9999999999999995E-7 : tensor<?x32xf32>, tensor<32xbf16> -> tensor<?x32xf32>
  %n = moe.rms_norm %x, %nw epsilon 1.0e-06 : tensor<?x32xf32>, tensor<32xbf16> -> tensor<?x32xf32>
  // CHECK: %[[Q:.*]] = moe.linear %[[N]], %{{.*}} : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %q = moe.linear %n, %wq : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  // CHECK: %[[QR:.*]] = moe.rope %[[Q]] at %[[START:.*]] <head_dim = 8, theta = 1.000000e+04 : f64, scaling_factor = 2.000000e+00 : f64> : tensor<?x32xf32> -> tensor<?x32xf32>
  %qr = moe.rope %q at %start <head_dim = 8, theta = 10000.0, scaling_factor = 2.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  // CHECK: moe.linear %[[N]], %{{.*}} rope <head_dim = 8, theta = 5.000000e+05 : f64, scaling_factor = 1.000000e+00 : f64> at %[[START]] : (tensor<?x32xf32>, tensor<16x32xf16>, index) -> tensor<?x16xf32>
  %k = moe.linear %n, %wk rope <head_dim = 8, theta = 500000.0, scaling_factor = 1.0> at %start : (tensor<?x32xf32>, tensor<16x32xf16>, index) -> tensor<?x16xf32>
  // CHECK: %[[O:.*]] = moe.attention %[[QR]], %{{.*}}, %{{.*}} at %[[START]] heads 4 : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x32xf32>
  %o = moe.attention %qr, %kc, %vc at %start heads 4 : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x32xf32>
  // CHECK: moe.attention %[[QR]], %{{.*}}, %{{.*}} at %[[START]] heads 4 {scale = 1.250000e-01 : f64}
  %o2 = moe.attention %qr, %c4, %c4 at %start heads 4 {scale = 0.125} : tensor<?x32xf32>, tensor<4x?x8xf32>, tensor<4x?x8xf32> -> tensor<?x32xf32>
  // CHECK: moe.attention %[[QR]], %{{.*}}, %{{.*}} at %[[START]] heads 4 : tensor<?x32xf32>, tensor<2x?x8xbf16>, tensor<2x?x8xbf16> -> tensor<?x32xf32>
  %o3 = moe.attention %qr, %kh, %kh at %start heads 4 : tensor<?x32xf32>, tensor<2x?x8xbf16>, tensor<2x?x8xbf16> -> tensor<?x32xf32>
  // CHECK: moe.linear %[[O]], %{{.*}} residual %[[X]] : (tensor<?x32xf32>, tensor<32x32xbf16>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %h = moe.linear %o, %wq residual %x : (tensor<?x32xf32>, tensor<32x32xbf16>, tensor<?x32xf32>) -> tensor<?x32xf32>
  // CHECK: moe.linear %[[O]], %{{.*}} rope <{{.*}}> at %[[START]] residual %[[X]]
  %h2 = moe.linear %o, %wq rope <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> at %start residual %x : (tensor<?x32xf32>, tensor<32x32xbf16>, index, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %h : tensor<?x32xf32>
}

// Multi-head latent attention: the rotary parts turned in interleaved pairs
// by given frequencies and factor, the semantic op, and the per-head
// products and value-narrower attention it decomposes into.
// CHECK-LABEL: func @latent_attention
func.func @latent_attention(%qn: tensor<?x64xf32>, %qr: tensor<?x32xf32>, %cache: tensor<?x40xbf16>,
                            %kvb: tensor<128x32xbf16>, %wk: tensor<4x16x32xbf16>, %keys: tensor<1x?x40xf32>,
                            %vals: tensor<1x?x32xf32>, %start: index) -> tensor<?x64xf32> {
  // CHECK: moe.rope %{{.*}} at %{{.*}} <head_dim = 8, frequencies = array<f64: 1.000000e+00, 1.000000e-01, 1.000000e-02, 2.500000e-04>, attention_factor = 1.200000e+00 : f64, pairs = interleaved>
  %r = moe.rope %qr at %start <head_dim = 8, frequencies = array<f64: 1.0, 0.1, 0.01, 0.00025>, attention_factor = 1.2, pairs = interleaved> : tensor<?x32xf32> -> tensor<?x32xf32>
  // CHECK: moe.rope %{{.*}} at %{{.*}} <head_dim = 8, theta = 1.000000e+04 : f64, scaling_factor = 1.000000e+00 : f64, pairs = interleaved>
  %r2 = moe.rope %qr at %start <head_dim = 8, theta = 10000.0, scaling_factor = 1.0, pairs = interleaved> : tensor<?x32xf32> -> tensor<?x32xf32>
  // CHECK: moe.latent_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} heads 4 scale 2.500000e-01 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x40xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  %o = moe.latent_attention %qn, %r, %cache, %kvb at %start heads 4 scale 0.25 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x40xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  // CHECK: moe.head_matmul %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<4x16x32xbf16> -> tensor<?x128xf32>
  %ql = moe.head_matmul %qn, %wk : tensor<?x64xf32>, tensor<4x16x32xbf16> -> tensor<?x128xf32>
  // CHECK: moe.head_matmul %{{.*}}, %{{.*}} transposed : tensor<?x128xf32>, tensor<4x16x32xbf16> -> tensor<?x64xf32>
  %v = moe.head_matmul %ql, %wk transposed : tensor<?x128xf32>, tensor<4x16x32xbf16> -> tensor<?x64xf32>
  // CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} heads 4 : tensor<?x160xf32>, tensor<1x?x40xf32>, tensor<1x?x32xf32> -> tensor<?x128xf32>
  %q = tensor.empty(%start) : tensor<?x160xf32>
  %a = moe.attention %q, %keys, %vals at %start heads 4 : tensor<?x160xf32>, tensor<1x?x40xf32>, tensor<1x?x32xf32> -> tensor<?x128xf32>
  return %o : tensor<?x64xf32>
}

// CHECK-LABEL: func @unpack_weights
func.func @unpack_weights(%g: tensor<4x2x20x8x2xbf16>, %s: tensor<2x2x20x8x2xbf16>, %d: tensor<2x5x6x8x2xbf16>) {
  // CHECK: moe.unpack_weights %{{.*}} : tensor<4x2x20x8x2xbf16> -> tensor<4x12x40xbf16>
  %0 = moe.unpack_weights %g : tensor<4x2x20x8x2xbf16> -> tensor<4x12x40xbf16>
  // CHECK: moe.unpack_weights %{{.*}} {concat_dim = 0 : i64} : tensor<2x2x20x8x2xbf16> -> tensor<24x40xbf16>
  %1 = moe.unpack_weights %s {concat_dim = 0} : tensor<2x2x20x8x2xbf16> -> tensor<24x40xbf16>
  // CHECK: moe.unpack_weights %{{.*}} {concat_dim = 1 : i64} : tensor<2x5x6x8x2xbf16> -> tensor<40x24xbf16>
  %2 = moe.unpack_weights %d {concat_dim = 1} : tensor<2x5x6x8x2xbf16> -> tensor<40x24xbf16>
  return
}
