func.func @attention_2(%q: tensor<?x32xf32>, %k: tensor<?x?x8xf32>, %s: index) {
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x32xf32>
  return
}
