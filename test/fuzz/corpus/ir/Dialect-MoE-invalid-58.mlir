func.func @case58(%w: tensor<4x?xf32>, %i: tensor<4x?xi32>) {
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x?xf32>, tensor<4x?xi32> -> tensor<4x4xf32>, tensor<4x4xi32>
  return
}
