func.func @case29(%i: tensor<4x2xi32>) {
  %o, %p = moe.dispatch %i : tensor<4x2xi32> -> tensor<9xi32>, tensor<7xi32>
  return
}
