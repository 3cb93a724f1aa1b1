func.func @case19(%s: tensor<4x8xf32>) {
  %w, %i = moe.topk group_limited_greedy %s {n_group = 3, topk_group = 1} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}
