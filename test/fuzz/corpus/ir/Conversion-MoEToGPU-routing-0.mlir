// Router logits: a thread per (token, expert) cell, tokens on grid x and
// expert blocks on grid y; then softmax a thread per token.
func.func @router_scores(%x: tensor<?x16xf32>, %w: tensor<8x16xbf16>) -> tensor<?x8xf32> {
  %s = moe.router_scores softmax %x, %w : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}
