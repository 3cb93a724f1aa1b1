func.func @attention_bf16_cache(%q: tensor<?x32xf32>, %k: tensor<2x?x8xbf16>, %v: tensor<2x?x8xbf16>, %s: index) -> tensor<?x32xf32> {
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xbf16>, tensor<2x?x8xbf16> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}
