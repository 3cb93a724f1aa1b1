func.func @case21(%s: tensor<4x8xf32>) {
  %w, %i = moe.topk noaux_tc %s : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}
