func.func @linear(%x: tensor<?x32xf32>, %w: tensor<128x32xf16>) -> tensor<?x128xf32> {
  %y = moe.linear %x, %w : (tensor<?x32xf32>, tensor<128x32xf16>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}
