func.func @all_experts_dynamic(%s: tensor<?x4xf32>) -> (tensor<5xi32>, tensor<?xi32>) {
  %w, %i = moe.topk greedy %s : tensor<?x4xf32> -> tensor<?x4xf32>, tensor<?x4xi32>
  %o, %p = moe.dispatch %i : tensor<?x4xi32> -> tensor<5xi32>, tensor<?xi32>
  return %o, %p : tensor<5xi32>, tensor<?xi32>
}
