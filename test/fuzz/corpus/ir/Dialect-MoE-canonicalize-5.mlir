func.func @dispatch_out_of_range() -> (tensor<5xi32>, tensor<2xi32>) {
  %i = arith.constant dense<[[7, 0]]> : tensor<1x2xi32>
  %o, %p = moe.dispatch %i : tensor<1x2xi32> -> tensor<5xi32>, tensor<2xi32>
  return %o, %p : tensor<5xi32>, tensor<2xi32>
}
