// RUN: moe-opt %s --split-input-file --convert-moe-to-gpu --verify-diagnostics

func.func @latent(%qn: tensor<?x64xf32>, %qr: tensor<?x32xf32>, %cache: tensor<?x40xbf16>,
                  %kvb: tensor<128x32xbf16>, %start: index) -> tensor<?x64xf32> {
  // expected-error @below {{'moe.latent_attention' must be decomposed before GPU lowering}}
  %o = moe.latent_attention %qn, %qr, %cache, %kvb at %start heads 4 scale 0.25 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x40xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}

// -----

func.func @panels(%p: tensor<2x2x8x8x2xbf16>) -> tensor<2x16x16xbf16> {
  // expected-error @below {{'moe.unpack_weights' has no GPU lowering: the GPU kernels take weights as stored}}
  %w = moe.unpack_weights %p : tensor<2x2x8x8x2xbf16> -> tensor<2x16x16xbf16>
  return %w : tensor<2x16x16xbf16>
}

// -----

func.func @unfused(%x: tensor<?x16xf32>, %p: tensor<?xi32>) -> tensor<?x16xf32> {
  // expected-error @below {{'moe.permute' must be decomposed and fused into moe.expert_ffn}}
  %y = moe.permute %x[%p] top_k 2 : tensor<?x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
