func.func @rms_norm(%x: tensor<?x32xf32>, %w: tensor<32xbf16>) -> tensor<?x32xf32> {
  %y = moe.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x32xf32>, tensor<32xbf16> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
