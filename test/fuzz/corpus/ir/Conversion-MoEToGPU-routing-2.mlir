// Shared experts join every token's routing, a thread per token.
func.func @append_shared(%w: tensor<?x2xf32>, %i: tensor<?x2xi32>) -> (tensor<?x4xf32>, tensor<?x4xi32>) {
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %w2, %i2 : tensor<?x4xf32>, tensor<?x4xi32>
}
