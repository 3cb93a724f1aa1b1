func.func @case72(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x15xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x15xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}
