func.func @attention_5(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf32>, %v: tensor<2x64x8xf32>, %s: index) {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x64x8xf32> -> tensor<?x32xf32>
  return
}
