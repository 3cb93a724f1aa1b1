func.func @embedding(%t: tensor<50x36xbf16>, %ids: tensor<?xi32>) -> tensor<?x36xf32> {
  %x = moe.embedding %t[%ids] : tensor<50x36xbf16>, tensor<?xi32> -> tensor<?x36xf32>
  return %x : tensor<?x36xf32>
}
