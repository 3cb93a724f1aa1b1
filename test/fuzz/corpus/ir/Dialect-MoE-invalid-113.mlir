func.func @attention_3(%q: tensor<?x30xf32>, %k: tensor<2x?x8xf32>, %s: index) {
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x30xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x30xf32>
  return
}
