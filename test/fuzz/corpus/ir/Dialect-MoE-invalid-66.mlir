func.func @case66(%ys: tensor<8x16xf32>, %p: tensor<8xi32>, %w: tensor<4x?xf32>) {
  %y = moe.combine %ys[%p], %w : tensor<8x16xf32>, tensor<8xi32>, tensor<4x?xf32> -> tensor<4x16xf32>
  return
}
