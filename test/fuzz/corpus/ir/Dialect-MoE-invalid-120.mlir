func.func @attention_10(%q: tensor<?x32xf32>, %k: tensor<2x?x8xi8>, %s: index) {
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xi8>, tensor<2x?x8xi8> -> tensor<?x32xf32>
  return
}
