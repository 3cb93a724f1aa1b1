func.func @fuse(%x: tensor<?x16xf32>, %w: tensor<?x4xf32>, %off: tensor<11xi32>, %p: tensor<?xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) -> tensor<?x16xf32> {
  %xs = moe.permute %x[%p] top_k 4 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  %y = moe.combine %ys[%p], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x4xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
