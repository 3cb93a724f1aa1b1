func.func @embedding_1(%t: tensor<64x32xbf16>, %ids: tensor<5xi32>) {
  %x = moe.embedding %t[%ids] : tensor<64x32xbf16>, tensor<5xi32> -> tensor<4x32xf32>
  return
}
