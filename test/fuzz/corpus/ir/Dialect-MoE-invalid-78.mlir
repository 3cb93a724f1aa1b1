func.func @case78(%x: tensor<?x16xf32>, %wr: tensor<?x16xbf16>, %g: tensor<?x4x16xbf16>, %u: tensor<?x4x16xbf16>, %d: tensor<?x16x4xbf16>) {
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<?x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4x16xbf16>, tensor<?x16x4xbf16>) -> tensor<?x16xf32>
  return
}
