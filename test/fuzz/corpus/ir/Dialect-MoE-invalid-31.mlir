func.func @case31(%x: tensor<4x16xf32>, %p: tensor<8xi32>) {
  %r = moe.permute %x[%p] top_k 2 : tensor<4x16xf32>, tensor<8xi32> -> tensor<7x16xf32>
  return
}
