func.func @expert_ffn_4(%x: tensor<4x16xf32>, %p: tensor<6xi32>, %off: tensor<9xi32>, %w: tensor<3x2xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) : (tensor<4x16xf32>, tensor<6xi32>, tensor<9xi32>, tensor<3x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<4x16xf32>
  return
}
