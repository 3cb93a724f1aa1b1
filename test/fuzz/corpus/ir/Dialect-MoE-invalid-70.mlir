func.func @case70(%ys: tensor<8x16xf32>, %p: tensor<8xi32>, %w: tensor<4x2xf32>) {
  %y = moe.combine %ys[%p], %w : tensor<8x16xf32>, tensor<8xi32>, tensor<4x2xf32> -> tensor<4x15xf32>
  return
}
