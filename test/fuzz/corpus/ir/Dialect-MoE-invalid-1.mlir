func.func @case1(%x: tensor<4x16xf32>, %w: tensor<8x16xbf16>) {
  %s = moe.router_scores softmax %x, %w : tensor<4x16xf32>, tensor<8x16xbf16> -> tensor<3x8xf32>
  return
}
