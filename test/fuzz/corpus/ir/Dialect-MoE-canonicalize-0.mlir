func.func @all_groups_kept(%s: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x2xi32>, tensor<?x2xi32>) {
  %w0, %i0 = moe.topk group_limited_greedy %s {n_group = 4, topk_group = 4} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w1, %i1 = moe.topk noaux_tc %s bias %b {n_group = 2, topk_group = 2} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %i0, %i1 : tensor<?x2xi32>, tensor<?x2xi32>
}
