func.func @shared_result(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %s: index) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %q = moe.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %qr = moe.rope %q at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %h = arith.addf %q, %x : tensor<?x32xf32>
  return %qr, %h : tensor<?x32xf32>, tensor<?x32xf32>
}
