func.func @linear_2(%x: tensor<3x32xf32>, %w: tensor<16x32xbf16>) {
  %y = moe.linear %x, %w : (tensor<3x32xf32>, tensor<16x32xbf16>) -> tensor<4x16xf32>
  return
}
