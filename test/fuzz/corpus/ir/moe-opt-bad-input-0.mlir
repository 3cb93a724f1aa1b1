func.func @malformed(%x: tensor<4x16xf32>) {
  %s = moe.router_scores softmax %x %x
  return
}
