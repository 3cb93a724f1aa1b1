func.func @linear_6(%x: tensor<?x32xf32>, %w: tensor<16x32xbf16>, %s: index) {
  %y = "moe.linear"(%x, %w, %s) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<?x32xf32>, tensor<16x32xbf16>, index) -> tensor<?x16xf32>
  return
}
