func.func @case36(%x: tensor<4x16xf32>, %g: tensor<8x16xbf16>, %u: tensor<8x16xbf16>, %d: tensor<15x8xbf16>) {
  %y = moe.swiglu %x, %g, %u, %d : tensor<4x16xf32>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<15x8xbf16> -> tensor<4x16xf32>
  return
}
