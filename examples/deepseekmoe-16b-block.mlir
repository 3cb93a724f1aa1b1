// One MoE MLP block of DeepSeekMoE 16B (deepseek-ai/deepseek-moe-16b-base):
// H = 2048, 64 routed experts of width 1408, 6 per token, softmax scores,
// greedy selection without renormalisation, and 2 shared experts (one SwiGLU
// MLP of width 2816). Weights are BF16 as in the checkpoint; T is dynamic.
func.func @deepseekmoe_16b_mlp(
    %x: tensor<?x2048xf32>,
    %router: tensor<64x2048xbf16>,
    %gate: tensor<64x1408x2048xbf16>,
    %up: tensor<64x1408x2048xbf16>,
    %down: tensor<64x2048x1408xbf16>,
    %shared_gate: tensor<2816x2048xbf16>,
    %shared_up: tensor<2816x2048xbf16>,
    %shared_down: tensor<2048x2816xbf16>) -> tensor<?x2048xf32> {
  %y = moe.block %x router(%router) experts(%gate, %up, %down)
      shared(%shared_gate, %shared_up, %shared_down)
      scoring = softmax method = greedy top_k = 6
      : (tensor<?x2048xf32>, tensor<64x2048xbf16>, tensor<64x1408x2048xbf16>,
         tensor<64x1408x2048xbf16>, tensor<64x2048x1408xbf16>,
         tensor<2816x2048xbf16>, tensor<2816x2048xbf16>,
         tensor<2048x2816xbf16>) -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}
