func.func @case4(%x: tensor<4x16xf32>, %w: tensor<8x16xi8>) {
  %s = moe.router_scores softmax %x, %w : tensor<4x16xf32>, tensor<8x16xi8> -> tensor<4x8xf32>
  return
}
