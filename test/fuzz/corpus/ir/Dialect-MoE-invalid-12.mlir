func.func @case12(%s: tensor<4x8xf32>, %b: tensor<7xf32>) {
  %w, %i = moe.topk noaux_tc %s bias %b : tensor<4x8xf32>, tensor<7xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}
