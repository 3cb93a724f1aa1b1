func.func @router_softmax(%x: tensor<?x32xf32>, %w: tensor<8x32xbf16>) -> tensor<?x8xf32> {
  %s = moe.router_scores softmax %x, %w : tensor<?x32xf32>, tensor<8x32xbf16> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}
