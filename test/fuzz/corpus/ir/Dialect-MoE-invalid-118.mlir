func.func @attention_8(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf32>, %s: index) {
  %o = moe.attention %q, %k, %k at %s heads 4 {scale = 0.0} : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x32xf32>
  return
}
