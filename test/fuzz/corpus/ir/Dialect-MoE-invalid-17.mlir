func.func @case17(%s: tensor<4x8xf32>) {
  %w, %i = moe.topk greedy %s {n_group = 4, topk_group = 2} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}
