func.func @rms_norm(%x: tensor<?x?xf32>, %w: tensor<?xbf16>) -> tensor<?x?xf32> {
  %y = moe.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x?xf32>, tensor<?xbf16> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
