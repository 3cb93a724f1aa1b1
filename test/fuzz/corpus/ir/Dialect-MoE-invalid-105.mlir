func.func @linear_4(%x: tensor<?x32xf32>, %w: tensor<16x32xbf16>, %r: tensor<?x32xf32>) {
  %y = moe.linear %x, %w residual %r : (tensor<?x32xf32>, tensor<16x32xbf16>, tensor<?x32xf32>) -> tensor<?x16xf32>
  return
}
