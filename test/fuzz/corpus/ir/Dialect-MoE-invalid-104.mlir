func.func @linear_3(%x: tensor<?x32xf32>, %w: tensor<16x32xbf16>) {
  %y = moe.linear %x, %w : (tensor<?x32xf32>, tensor<16x32xbf16>) -> tensor<?x8xf32>
  return
}
