func.func @expert_ffn_unfused(%x: tensor<?x16xf32>, %p: tensor<?xi32>, %off: tensor<9xi32>, %w: tensor<?x2xf32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) -> tensor<?x16xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<?xi32>, tensor<9xi32>, tensor<?x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
