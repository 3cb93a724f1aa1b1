func.func @case23(%s: tensor<4x8xf32>, %b: tensor<8xf32>) {
  %w, %i = moe.topk noaux_tc %s bias %b {n_group = 4, topk_group = 1} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x3xf32>, tensor<4x3xi32>
  return
}
