func.func @attention_9(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf16>, %v: tensor<2x?x8xbf16>, %s: index) {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xf16>, tensor<2x?x8xbf16> -> tensor<?x32xf32>
  return
}
