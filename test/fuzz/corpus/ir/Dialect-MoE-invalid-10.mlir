func.func @case10(%s: tensor<4x8xf32>) {
  %w, %i = moe.topk greedy %s : tensor<4x8xf32> -> tensor<4x3xf32>, tensor<4x2xi32>
  return
}
