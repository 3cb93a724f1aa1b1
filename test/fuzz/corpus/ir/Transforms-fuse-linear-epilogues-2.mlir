func.func @order(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %s: index) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %a = moe.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %ar = arith.addf %a, %x : tensor<?x32xf32>
  %arr = moe.rope %ar at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %b = moe.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %br = moe.rope %b at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %brr = arith.addf %br, %x : tensor<?x32xf32>
  return %arr, %brr : tensor<?x32xf32>, tensor<?x32xf32>
}
