func.func @embedding(%t: tensor<50x?xf16>, %ids: tensor<?xi32>) -> tensor<?x?xf32> {
  %x = moe.embedding %t[%ids] : tensor<50x?xf16>, tensor<?xi32> -> tensor<?x?xf32>
  return %x : tensor<?x?xf32>
}
