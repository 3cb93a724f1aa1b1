func.func @normalisation(%s: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x1xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %w0, %i0 = moe.topk greedy %s {norm_topk_prob = true, routed_scaling_factor = 2.0} : tensor<?x8xf32> -> tensor<?x1xf32>, tensor<?x1xi32>
  %w1, %i1 = moe.topk greedy %s {norm_topk_prob = true, routed_scaling_factor = 2.0} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w2, %i2 = moe.topk noaux_tc %s bias %b {norm_topk_prob = true, routed_scaling_factor = 2.0} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w0, %w1, %w2 : tensor<?x1xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}
