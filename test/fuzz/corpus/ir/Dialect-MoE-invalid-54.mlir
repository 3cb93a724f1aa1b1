func.func @case54(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x?x16xbf16>, %u: tensor<8x?x16xbf16>, %d: tensor<8x16x?xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) {
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x?x16xbf16>, tensor<8x?x16xbf16>, tensor<8x16x?xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  return
}
