func.func @linear_5(%x: tensor<?x32xf32>, %w: tensor<12x32xbf16>, %s: index) {
  %y = moe.linear %x, %w rope <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> at %s : (tensor<?x32xf32>, tensor<12x32xbf16>, index) -> tensor<?x12xf32>
  return
}
