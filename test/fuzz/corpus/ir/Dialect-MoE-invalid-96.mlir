func.func @rope_attr_3(%x: tensor<?x32xf32>, %s: index) {
  %y = moe.rope %x at %s <head_dim = 8, theta = 10000.0, scaling_factor = -2.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  return
}
