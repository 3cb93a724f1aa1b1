func.func @case16(%s: tensor<4x8xf32>) {
  %w, %i = moe.topk greedy %s {routed_scaling_factor = 0x7FF0000000000000 : f64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}
