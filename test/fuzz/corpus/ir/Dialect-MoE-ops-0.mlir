func.func @router_scores(%x: tensor<?x16xf32>, %w: tensor<8x16xbf16>,
                         %w32: tensor<8x16xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %s = moe.router_scores softmax %x, %w : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  %t = moe.router_scores sigmoid %x, %w32 : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %s, %t : tensor<?x8xf32>, tensor<?x8xf32>
}

func.func @topk_variants(%s: tensor<?x8xf32>, %b: tensor<8xf32>) {
  %w0, %i0 = moe.topk greedy %s : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w1, %i1 = moe.topk greedy %s {norm_topk_prob = true} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w2, %i2 = moe.topk group_limited_greedy %s {n_group = 4, topk_group = 2, routed_scaling_factor = 16.0} : tensor<?x8xf32> -> tensor<?x3xf32>, tensor<?x3xi32>
  %w3, %i3 = moe.topk noaux_tc %s bias %b {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return
}

func.func @dispatch_permute_combine(%x: tensor<5x16xf32>, %w: tensor<5x2xf32>,
                                    %i: tensor<5x2xi32>) -> tensor<5x16xf32> {
  %offsets, %perm = moe.dispatch %i : tensor<5x2xi32> -> tensor<9xi32>, tensor<10xi32>
  %xs = moe.permute %x[%perm] top_k 2 : tensor<5x16xf32>, tensor<10xi32> -> tensor<10x16xf32>
  %y = moe.combine %xs[%perm], %w : tensor<10x16xf32>, tensor<10xi32>, tensor<5x2xf32> -> tensor<5x16xf32>
  return %y : tensor<5x16xf32>
}

func.func @experts(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %off2: tensor<11xi32>,
                   %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>,
                   %sg: tensor<8x16xf16>, %su: tensor<8x16xf16>, %sd: tensor<16x8xf16>) {
  %0 = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %1 = moe.grouped_swiglu %xs, %off2 experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xf16>, tensor<8x16xf16>, tensor<16x8xf16>) -> tensor<?x16xf32>
  %2 = moe.swiglu %xs, %sg, %su, %sd : tensor<?x16xf32>, tensor<8x16xf16>, tensor<8x16xf16>, tensor<16x8xf16> -> tensor<?x16xf32>
  return
}

func.func @append_shared_experts(%w: tensor<?x2xf32>, %i: tensor<?x2xi32>) {
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return
}

func.func @blocks(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %b: tensor<8xf32>,
                  %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>,
                  %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) {
  %0 = moe.block %x router(%wr) experts(%g, %u, %d) shared(%sg, %su, %sd) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  %1 = moe.block %x router(%wr, bias %b) experts(%g, %u, %d) scoring = sigmoid method = noaux_tc top_k = 3 {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %2 = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = group_limited_greedy top_k = 2 {n_group = 2, topk_group = 1, routed_scaling_factor = 16.0} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

func.func @expert_ffn(%x: tensor<?x16xf32>, %p: tensor<?xi32>, %off: tensor<11xi32>, %w: tensor<?x4xf32>,
                      %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>,
                      %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) -> tensor<?x16xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<?xi32>, tensor<11xi32>, tensor<?x4xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

func.func @decoder_ops(%ids: tensor<?xi32>, %table: tensor<64x32xbf16>, %nw: tensor<32xbf16>,
                       %wq: tensor<32x32xbf16>, %wk: tensor<16x32xf16>, %kc: tensor<2x?x8xf32>,
                       %vc: tensor<2x?x8xf32>, %c4: tensor<4x?x8xf32>, %kh: tensor<2x?x8xbf16>, %start: index) -> tensor<?x32xf32> {
  %x = moe.embedding %table[%ids] : tensor<64x32xbf16>, tensor<?xi32> -> tensor<?x32xf32>
  %n = moe.rms_norm %x, %nw epsilon 1.0e-06 : tensor<?x32xf32>, tensor<32xbf16> -> tensor<?x32xf32>
  %q = moe.linear %n, %wq : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %qr = moe.rope %q at %start <head_dim = 8, theta = 10000.0, scaling_factor = 2.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %k = moe.linear %n, %wk rope <head_dim = 8, theta = 500000.0, scaling_factor = 1.0> at %start : (tensor<?x32xf32>, tensor<16x32xf16>, index) -> tensor<?x16xf32>
  %o = moe.attention %qr, %kc, %vc at %start heads 4 : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x32xf32>
  %o2 = moe.attention %qr, %c4, %c4 at %start heads 4 {scale = 0.125} : tensor<?x32xf32>, tensor<4x?x8xf32>, tensor<4x?x8xf32> -> tensor<?x32xf32>
  %o3 = moe.attention %qr, %kh, %kh at %start heads 4 : tensor<?x32xf32>, tensor<2x?x8xbf16>, tensor<2x?x8xbf16> -> tensor<?x32xf32>
  %h = moe.linear %o, %wq residual %x : (tensor<?x32xf32>, tensor<32x32xbf16>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %h2 = moe.linear %o, %wq rope <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> at %start residual %x : (tensor<?x32xf32>, tensor<32x32xbf16>, index, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %h : tensor<?x32xf32>
}
