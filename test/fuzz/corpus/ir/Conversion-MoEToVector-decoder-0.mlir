func.func @linear_rope_residual(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %r: tensor<?x32xf32>, %s: index) -> tensor<?x32xf32> {
  %y = moe.linear %x, %w rope <head_dim = 8, theta = 10000.0, scaling_factor = 2.0> at %s residual %r : (tensor<?x32xf32>, tensor<32x32xbf16>, index, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
