func.func @case24(%s: tensor<4x8xf32>, %b: tensor<8xf32>) {
  %w, %i = moe.topk noaux_tc %s bias %b {n_group = 8, topk_group = 4} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}
