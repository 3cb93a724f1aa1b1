func.func @router_sigmoid(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %s = moe.router_scores sigmoid %x, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}
