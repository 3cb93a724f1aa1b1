func.func @dispatch_constant() -> (tensor<5xi32>, tensor<6xi32>) {
  %i = arith.constant dense<[[2, 0], [0, 2], [1, 0]]> : tensor<3x2xi32>
  %o, %p = moe.dispatch %i : tensor<3x2xi32> -> tensor<5xi32>, tensor<6xi32>
  return %o, %p : tensor<5xi32>, tensor<6xi32>
}
