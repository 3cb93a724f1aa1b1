func.func @case25(%s: tensor<4x8xf32>) {
  %w, %i = moe.topk greedy %s {norm_topk_porb = true} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}
