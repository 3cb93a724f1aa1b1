func.func @all_experts_static(%s: tensor<3x4xf32>) -> (tensor<3x4xi32>, tensor<5xi32>, tensor<12xi32>) {
  %w, %i = moe.topk greedy %s : tensor<3x4xf32> -> tensor<3x4xf32>, tensor<3x4xi32>
  %o, %p = moe.dispatch %i : tensor<3x4xi32> -> tensor<5xi32>, tensor<12xi32>
  return %i, %o, %p : tensor<3x4xi32>, tensor<5xi32>, tensor<12xi32>
}
