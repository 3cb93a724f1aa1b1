func.func @rms_norm_2(%x: tensor<?x32xf32>, %w: tensor<16xbf16>) {
  %y = moe.rms_norm %x, %w epsilon 1.0e-6 : tensor<?x32xf32>, tensor<16xbf16> -> tensor<?x32xf32>
  return
}
