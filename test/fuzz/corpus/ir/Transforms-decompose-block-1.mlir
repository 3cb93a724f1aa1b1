func.func @noaux_tc_static(%x: tensor<5x16xf32>, %wr: tensor<8x16xf32>, %b: tensor<8xf32>, %g: tensor<8x4x16xf32>, %u: tensor<8x4x16xf32>, %d: tensor<8x16x4xf32>) -> tensor<5x16xf32> {
  %y = moe.block %x router(%wr, bias %b) experts(%g, %u, %d) scoring = sigmoid method = noaux_tc top_k = 3 {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : (tensor<5x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<8x4x16xf32>, tensor<8x4x16xf32>, tensor<8x16x4xf32>) -> tensor<5x16xf32>
  return %y : tensor<5x16xf32>
}
