func.func @rms_norm_3(%x: tensor<?x32xf32>, %w: tensor<32xbf16>) {
  %y = moe.rms_norm %x, %w epsilon 1.0e-6 : tensor<?x32xf32>, tensor<32xbf16> -> tensor<4x32xf32>
  return
}
