func.func @rope_1(%x: tensor<?x36xf32>, %s: index) {
  %y = moe.rope %x at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x36xf32> -> tensor<?x36xf32>
  return
}
