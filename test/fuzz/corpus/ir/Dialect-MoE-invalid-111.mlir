func.func @attention_1(%q: tensor<?x?xf32>, %k: tensor<2x?x8xf32>, %s: index) {
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x?xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x?xf32>
  return
}
