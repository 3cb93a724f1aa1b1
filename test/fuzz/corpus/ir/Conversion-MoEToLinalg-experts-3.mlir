func.func @permute_combine_append(%x: tensor<?x16xf32>, %p: tensor<?xi32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>) -> (tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x4xi32>) {
  %xs = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %y = moe.combine %xs[%p], %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x4xf32>, tensor<?x4xi32>
  return %y, %w2, %i2 : tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x4xi32>
}
