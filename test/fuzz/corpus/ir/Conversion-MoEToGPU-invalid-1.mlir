func.func @unfused(%x: tensor<?x16xf32>, %p: tensor<?xi32>) -> tensor<?x16xf32> {
  // expected-error @below {{'moe.permute' must be decomposed and fused into moe.expert_ffn}}
  %y = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
