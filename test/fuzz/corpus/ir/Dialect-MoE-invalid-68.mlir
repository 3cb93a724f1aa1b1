func.func @case68(%ys: tensor<7x16xf32>, %p: tensor<8xi32>, %w: tensor<4x2xf32>) {
  %y = moe.combine %ys[%p], %w : tensor<7x16xf32>, tensor<8xi32>, tensor<4x2xf32> -> tensor<4x16xf32>
  return
}
