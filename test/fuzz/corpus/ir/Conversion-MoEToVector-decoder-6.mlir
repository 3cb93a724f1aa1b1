func.func @attention_f16_cache(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf16>, %v: tensor<2x?x8xf16>, %s: index) -> tensor<?x32xf32> {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xf16>, tensor<2x?x8xf16> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}
