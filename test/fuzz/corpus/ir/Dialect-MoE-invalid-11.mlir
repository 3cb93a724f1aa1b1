func.func @case11(%s: tensor<4x8xf32>) {
  %w, %i = moe.topk greedy %s : tensor<4x8xf32> -> tensor<5x2xf32>, tensor<5x2xi32>
  return
}
