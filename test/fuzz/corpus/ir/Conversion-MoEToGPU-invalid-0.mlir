func.func @decoder_op(%x: tensor<?x16xf32>, %w: tensor<16xf32>) -> tensor<?x16xf32> {
  // expected-error @below {{'moe.rms_norm' has no GPU lowering}}
  %y = moe.rms_norm %x, %w epsilon 1.0e-06 : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
