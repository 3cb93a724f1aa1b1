func.func @different_permutations(%x: tensor<?x16xf32>, %w: tensor<?x2xf32>, %off: tensor<9xi32>, %p: tensor<?xi32>, %q: tensor<?xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) -> tensor<?x16xf32> {
  %xs = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  %y = moe.combine %ys[%q], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
