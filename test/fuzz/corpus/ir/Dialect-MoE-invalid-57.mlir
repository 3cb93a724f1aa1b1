func.func @case57(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>) {
  %y = "moe.grouped_swiglu"(%xs, %off, %g, %u, %d, %sg) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0>}> : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>) -> tensor<?x16xf32>
  return
}
