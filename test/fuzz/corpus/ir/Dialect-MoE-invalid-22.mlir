func.func @case22(%s: tensor<4x8xf32>, %b: tensor<8xf32>) {
  %w, %i = moe.topk greedy %s bias %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}
