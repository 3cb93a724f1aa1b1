func.func @different_inputs(%x: tensor<?x16xf32>, %x2: tensor<?x16xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) -> tensor<?x16xf32> {
  %off, %p = moe.dispatch %i : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
  %xs = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %r = moe.combine %ys[%p], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  %s = moe.swiglu %x2, %sg, %su, %sd : tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16> -> tensor<?x16xf32>
  %y = arith.addf %r, %s : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
