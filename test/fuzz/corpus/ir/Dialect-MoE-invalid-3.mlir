func.func @case3(%x: tensor<4x16xf16>, %w: tensor<8x16xbf16>) {
  %s = moe.router_scores softmax %x, %w : tensor<4x16xf16>, tensor<8x16xbf16> -> tensor<4x8xf32>
  return
}
