func.func @case79(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %b: tensor<7xf32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  %y = moe.block %x router(%wr, bias %b) experts(%g, %u, %d) scoring = sigmoid method = noaux_tc top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<7xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}
