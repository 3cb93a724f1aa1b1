func.func @rope_2(%x: tensor<?x?xf32>, %s: index) {
  %y = moe.rope %x at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x?xf32> -> tensor<?x?xf32>
  return
}
