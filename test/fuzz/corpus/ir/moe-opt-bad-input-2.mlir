func.func @wrong_shape(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<7x4x16xbf16>, %u: tensor<7x4x16xbf16>, %d: tensor<7x16x4xbf16>) -> tensor<?x16xf32> {
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<7x4x16xbf16>, tensor<7x4x16xbf16>, tensor<7x16x4xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
