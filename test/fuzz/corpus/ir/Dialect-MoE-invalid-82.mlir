func.func @case82(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = group_limited_greedy top_k = 2 {n_group = 3, topk_group = 1} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}
