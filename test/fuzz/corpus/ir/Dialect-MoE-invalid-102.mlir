func.func @linear_1(%x: tensor<?x32xf32>, %w: tensor<16x31xbf16>) {
  %y = moe.linear %x, %w : (tensor<?x32xf32>, tensor<16x31xbf16>) -> tensor<?x16xf32>
  return
}
