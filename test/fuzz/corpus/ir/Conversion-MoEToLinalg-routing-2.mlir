func.func @dispatch(%i: tensor<?x2xi32>) -> (tensor<9xi32>, tensor<?xi32>) {
  %o, %p = moe.dispatch %i : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
  return %o, %p : tensor<9xi32>, tensor<?xi32>
}
