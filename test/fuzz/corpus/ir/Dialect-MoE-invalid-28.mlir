func.func @case28(%i: tensor<4x2xi32>) {
  %o, %p = moe.dispatch %i : tensor<4x2xi32> -> tensor<1xi32>, tensor<8xi32>
  return
}
