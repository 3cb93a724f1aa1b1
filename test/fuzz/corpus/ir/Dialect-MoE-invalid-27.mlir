func.func @case27(%i: tensor<4x2xi32>) {
  %o, %p = moe.dispatch %i : tensor<4x2xi32> -> tensor<?xi32>, tensor<8xi32>
  return
}
