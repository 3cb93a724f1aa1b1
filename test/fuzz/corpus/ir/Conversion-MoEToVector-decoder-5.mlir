func.func @rope(%x: tensor<?x32xf32>, %s: index) -> tensor<?x32xf32> {
  %y = moe.rope %x at %s <head_dim = 16, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
