// Top-k a thread per token, each with its private scratch (memref.alloca in
// the kernel); the grouped variant keeps group scores too.
func.func @topk_noaux_tc(%s: tensor<?x8xf32>, %b: tensor<8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %w, %i = moe.topk noaux_tc %s bias %b {n_group = 4, topk_group = 2, norm_topk_prob = true, routed_scaling_factor = 2.5} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}
