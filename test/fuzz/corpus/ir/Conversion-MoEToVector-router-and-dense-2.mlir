func.func @dense(%x: tensor<?x32xf32>, %g: tensor<48x32xbf16>, %u: tensor<48x32xbf16>, %d: tensor<32x48xbf16>) -> tensor<?x32xf32> {
  %y = moe.swiglu %x, %g, %u, %d : tensor<?x32xf32>, tensor<48x32xbf16>, tensor<48x32xbf16>, tensor<32x48xbf16> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
