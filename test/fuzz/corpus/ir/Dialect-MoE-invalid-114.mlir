func.func @attention_4(%q: tensor<?x32xf32>, %k: tensor<3x?x8xf32>, %s: index) {
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<3x?x8xf32>, tensor<3x?x8xf32> -> tensor<?x32xf32>
  return
}
