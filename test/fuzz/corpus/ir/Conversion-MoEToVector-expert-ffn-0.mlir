func.func @expert_ffn(%x: tensor<?x40xf32>, %p: tensor<?xi32>, %off: tensor<11xi32>, %w: tensor<?x2xf32>,
    %g: tensor<8x4x40xbf16>, %u: tensor<8x4x40xbf16>, %d: tensor<8x40x4xbf16>,
    %sg: tensor<8x40xf16>, %su: tensor<8x40xf16>, %sd: tensor<40x8xf16>) -> tensor<?x40xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x40xf32>, tensor<?xi32>, tensor<11xi32>, tensor<?x2xf32>, tensor<8x4x40xbf16>, tensor<8x4x40xbf16>, tensor<8x40x4xbf16>, tensor<8x40xf16>, tensor<8x40xf16>, tensor<40x8xf16>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
