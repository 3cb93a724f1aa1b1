func.func @case33(%x: tensor<4x16xf32>, %p: tensor<8xi32>) {
  %r = moe.permute %x[%p] top_k 0 : tensor<4x16xf32>, tensor<8xi32> -> tensor<8x16xf32>
  return
}
