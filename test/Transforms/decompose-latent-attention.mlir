// RUN: moe-opt %s --moe-decompose-latent-attention | FileCheck %s --check-prefix=ABSORB
// RUN: moe-opt %s --moe-decompose-latent-attention=expand-min-tokens=1 | FileCheck %s --check-prefix=EXPAND
// RUN: moe-opt %s --moe-decompose-latent-attention=expand-min-tokens=128 | FileCheck %s --check-prefix=CHOOSE

// 4 heads, Dn 16, Dr 8, Dv 16, C 32: kv_b [4 * (16 + 16), 32].
//
// Absorbed: each head's query moves into latent space through its key block
// of kv_b (untransposed), the heads attend to the compressed cache as one
// key/value head, keys [c, r] (40 wide) and values c (its first 32 columns,
// a view of the same cache), and each head's latent output becomes its
// value through its value block (transposed).
// ABSORB-LABEL: func @latent_attention
// ABSORB-SAME: (%[[QN:.*]]: tensor<?x64xf32>, %[[QR:.*]]: tensor<?x32xf32>, %[[CACHE:.*]]: tensor<?x40xbf16>, %[[KVB:.*]]: tensor<128x32xbf16>, %[[START:.*]]: index)
// ABSORB: %[[BLOCKS:.*]] = tensor.expand_shape %[[KVB]] {{\[\[}}0, 1], [2]] output_shape [4, 32, 32]
// ABSORB: %[[WK:.*]] = tensor.extract_slice %[[BLOCKS]][0, 0, 0] [4, 16, 32]
// ABSORB: %[[QLAT:.*]] = moe.head_matmul %[[QN]], %[[WK]] : tensor<?x64xf32>, tensor<4x16x32xbf16> -> tensor<?x128xf32>
// ABSORB: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0] [%{{.*}}, 4, 32]
// ABSORB: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 32] [%{{.*}}, 4, 8]
// ABSORB: %[[QUERY:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<?x4x40xf32> into tensor<?x160xf32>
// ABSORB: %[[KEYS:.*]] = tensor.expand_shape %[[CACHE]] {{\[\[}}0, 1], [2]] output_shape [1, %{{.*}}, 40]
// ABSORB: %[[VALUES:.*]] = tensor.extract_slice %[[KEYS]][0, 0, 0] [1, %{{.*}}, 32]
// ABSORB: %[[OLAT:.*]] = moe.attention %[[QUERY]], %[[KEYS]], %[[VALUES]] at %[[START]] heads 4 {scale = 2.500000e-01 : f64} : tensor<?x160xf32>, tensor<1x?x40xbf16>, tensor<1x?x32xbf16> -> tensor<?x128xf32>
// ABSORB: %[[WV:.*]] = tensor.extract_slice %{{.*}}[0, 16, 0] [4, 16, 32]
// ABSORB: %[[OUT:.*]] = moe.head_matmul %[[OLAT]], %[[WV]] transposed : tensor<?x128xf32>, tensor<4x16x32xbf16> -> tensor<?x64xf32>
// ABSORB: return %[[OUT]]
//
// Expanded: kv_b times the latents of the start + T cached positions
// (widened from the bf16 cache), keys [k_nope, r] and values per head,
// head-major, then multi-head attention with [q_nope, q_rope] queries.
// EXPAND-LABEL: func @latent_attention
// EXPAND: %[[POSITIONS:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// EXPAND: %[[C:.*]] = tensor.extract_slice %{{.*}}[0, 0] [%[[POSITIONS]], 32] [1, 1] : tensor<?x40xbf16> to tensor<?x32xbf16>
// EXPAND: %[[C32:.*]] = arith.extf %[[C]] : tensor<?x32xbf16> to tensor<?x32xf32>
// EXPAND: %[[R:.*]] = tensor.extract_slice %{{.*}}[0, 32] [%[[POSITIONS]], 8] [1, 1] : tensor<?x40xbf16> to tensor<?x8xbf16>
// EXPAND: %[[KV:.*]] = moe.linear %[[C32]], %{{.*}} : (tensor<?x32xf32>, tensor<128x32xbf16>) -> tensor<?x128xf32>
// EXPAND: linalg.broadcast ins(%{{.*}} : tensor<?x8xf32>) outs(%{{.*}} : tensor<?x4x8xf32>) dimensions = [1]
// EXPAND: %[[KEYS:.*]] = linalg.transpose ins(%{{.*}} : tensor<?x4x24xf32>) outs(%{{.*}} : tensor<4x?x24xf32>) permutation = [1, 0, 2]
// EXPAND: %[[VALUES:.*]] = linalg.transpose ins(%{{.*}} : tensor<?x4x16xf32>) outs(%{{.*}} : tensor<4x?x16xf32>) permutation = [1, 0, 2]
// EXPAND: %[[QUERY:.*]] = tensor.collapse_shape %{{.*}} : tensor<?x4x24xf32> into tensor<?x96xf32>
// EXPAND: moe.attention %[[QUERY]], %[[KEYS]], %[[VALUES]] at %{{.*}} heads 4 {scale = 2.500000e-01 : f64} : tensor<?x96xf32>, tensor<4x?x24xf32>, tensor<4x?x16xf32> -> tensor<?x64xf32>
// EXPAND-NOT: moe.latent_attention
func.func @latent_attention(%qn: tensor<?x64xf32>, %qr: tensor<?x32xf32>, %cache: tensor<?x40xbf16>, %kvb: tensor<128x32xbf16>, %start: index) -> tensor<?x64xf32> {
  %o = moe.latent_attention %qn, %qr, %cache, %kvb at %start heads 4 scale 0.25 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x40xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}

// With a threshold, the token count chooses at run time: calls of 128 new
// tokens or more expand, the others (decode steps) absorb.
// CHOOSE-LABEL: func @latent_attention
// CHOOSE: %[[T:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x64xf32>
// CHOOSE: %[[MANY:.*]] = arith.cmpi uge, %[[T]], %c128 : index
// CHOOSE: %[[OUT:.*]] = scf.if %[[MANY]] -> (tensor<?x64xf32>) {
// CHOOSE:   moe.linear
// CHOOSE:   %[[E:.*]] = moe.attention %{{.*}} : tensor<?x96xf32>, tensor<4x?x24xf32>, tensor<4x?x16xf32> -> tensor<?x64xf32>
// CHOOSE:   scf.yield %[[E]]
// CHOOSE: } else {
// CHOOSE:   moe.head_matmul
// CHOOSE:   moe.attention %{{.*}} : tensor<?x160xf32>, tensor<1x?x40xbf16>, tensor<1x?x32xbf16> -> tensor<?x128xf32>
// CHOOSE:   %[[A:.*]] = moe.head_matmul %{{.*}} transposed
// CHOOSE:   scf.yield %[[A]]
// CHOOSE: return %[[OUT]]
