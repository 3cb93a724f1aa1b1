func.func @case62(%w: tensor<4x2xf32>, %i: tensor<4x2xi32>) {
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x2xf32>, tensor<4x2xi32> -> tensor<4x3xf32>, tensor<4x4xi32>
  return
}
