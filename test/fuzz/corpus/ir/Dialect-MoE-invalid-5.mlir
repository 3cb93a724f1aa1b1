func.func @case5(%x: tensor<16xf32>, %w: tensor<8x16xbf16>) {
  %s = moe.router_scores softmax %x, %w : tensor<16xf32>, tensor<8x16xbf16> -> tensor<4x8xf32>
  return
}
