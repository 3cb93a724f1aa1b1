func.func @case6(%x: tensor<4x16xf32>, %w: tensor<8x16xbf16>) {
  %s = moe.router_scores tanh %x, %w : tensor<4x16xf32>, tensor<8x16xbf16> -> tensor<4x8xf32>
  return
}
