func.func @case30(%x: tensor<4x16xf32>, %p: tensor<9xi32>) {
  %r = moe.permute %x[%p] top_k 2 : tensor<4x16xf32>, tensor<9xi32> -> tensor<9x16xf32>
  return
}
