func.func @no_shared_experts(%w: tensor<?x2xf32>, %i: tensor<?x2xi32>, %xs: tensor<?x16xf32>, %off: tensor<9xi32>,
    %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>,
    %sg: tensor<0x16xbf16>, %su: tensor<0x16xbf16>, %sd: tensor<16x0xbf16>, %x: tensor<3x16xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x16xf32>, tensor<3x16xf32>) {
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<?x2xf32>, tensor<?x2xi32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %ys = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<0x16xbf16>, tensor<0x16xbf16>, tensor<16x0xbf16>) -> tensor<?x16xf32>
  %s = moe.swiglu %x, %sg, %su, %sd : tensor<3x16xf32>, tensor<0x16xbf16>, tensor<0x16xbf16>, tensor<16x0xbf16> -> tensor<3x16xf32>
  return %w2, %i2, %ys, %s : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x16xf32>, tensor<3x16xf32>
}
