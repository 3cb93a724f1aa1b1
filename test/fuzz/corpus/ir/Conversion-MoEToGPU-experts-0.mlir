// Three kernels, sorted rows on grid x: gate/up + SwiGLU, down times the
// routing weight stored at the row of its (token, slot) pair, and the
// per-token sum over slots in order. The two products give a warp four
// outputs (four blocks of cells here: I = 4 is one cell, H = 40 ten): its
// lanes take turns over 16-byte vectors of the weight rows (40 bf16 = five
// vectors of 8, so lanes past the fifth skip the turn), then add up their
// partial sums with xor shuffles, and lane 0 stores. No float atomics.
// Token rows come through the permutation: no permuted copy of x.
// Routed and shared experts read different weights; four gate and four up
// rows per warp.
func.func @expert_ffn(%x: tensor<?x40xf32>, %p: tensor<?xi32>, %off: tensor<11xi32>, %w: tensor<?x2xf32>,
    %g: tensor<8x4x40xbf16>, %u: tensor<8x4x40xbf16>, %d: tensor<8x40x4xbf16>,
    %sg: tensor<8x40xf16>, %su: tensor<8x40xf16>, %sd: tensor<40x8xf16>) -> tensor<?x40xf32> {
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x40xf32>, tensor<?xi32>, tensor<11xi32>, tensor<?x2xf32>, tensor<8x4x40xbf16>, tensor<8x4x40xbf16>, tensor<8x40x4xbf16>, tensor<8x40xf16>, tensor<8x40xf16>, tensor<40x8xf16>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
