func.func @attention_6(%q: tensor<?x32xf32>, %k: tensor<2x?x?xf32>, %s: index) {
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<2x?x?xf32>, tensor<2x?x?xf32> -> tensor<?x32xf32>
  return
}
