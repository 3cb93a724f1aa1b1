func.func @attention_projections(%x: tensor<?x32xf32>, %wq: tensor<32x32xbf16>, %wo: tensor<32x32xbf16>, %s: index) -> tensor<?x32xf32> {
  %q = moe.linear %x, %wq : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %qr = moe.rope %q at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %o = moe.linear %qr, %wo : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %h = arith.addf %x, %o : tensor<?x32xf32>
  return %h : tensor<?x32xf32>
}
