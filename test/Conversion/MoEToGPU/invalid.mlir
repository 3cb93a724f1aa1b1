// RUN: moe-opt %s --split-input-file --convert-moe-to-gpu --verify-diagnostics

func.func @decoder_op(%x: tensor<?x16xf32>, %w: tensor<16xf32>) -> tensor<?x16xf32> {
  // expected-error @below {{'moe.rms_norm' has no GPU lowering}}
  %y = moe.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @unfused(%x: tensor<?x16xf32>, %p: tensor<?xi32>) -> tensor<?x16xf32> {
  // expected-error @below {{'moe.permute' must be decomposed and fused into moe.expert_ffn}}
  %y = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
