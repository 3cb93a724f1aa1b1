func.func @case67(%ys: tensor<9x16xf32>, %p: tensor<9xi32>, %w: tensor<4x2xf32>) {
  %y = moe.combine %ys[%p], %w : tensor<9x16xf32>, tensor<9xi32>, tensor<4x2xf32> -> tensor<4x16xf32>
  return
}
