func.func @embedding_2(%t: tensor<64x32xbf16>, %ids: tensor<?xi32>) {
  %x = moe.embedding %t[%ids] : tensor<64x32xbf16>, tensor<?xi32> -> tensor<?x16xf32>
  return
}
