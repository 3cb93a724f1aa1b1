func.func @case56(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x15xf32>
  return
}
