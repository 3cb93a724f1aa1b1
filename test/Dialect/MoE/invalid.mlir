// RUN: moe-opt %s --split-input-file --verify-diagnostics
// One case per verifier message of the moe ops.

func.func @case0(%x: tensor<4x16xf32>, %w: tensor<8x15xbf16>) {
  // expected-error @+1 {{'moe.router_scores' op router weight has hidden size 15 but x has 16}}
  %s = moe.router_scores softmax %x, %w : tensor<4x16xf32>, tensor<8x15xbf16> -> tensor<4x8xf32>
  return
}

// -----

func.func @case1(%x: tensor<4x16xf32>, %w: tensor<8x16xbf16>) {
  // expected-error @+1 {{'moe.router_scores' op scores has tokens 3 but x has 4}}
  %s = moe.router_scores softmax %x, %w : tensor<4x16xf32>, tensor<8x16xbf16> -> tensor<3x8xf32>
  return
}

// -----

func.func @case2(%x: tensor<4x16xf32>, %w: tensor<8x16xbf16>) {
  // expected-error @+1 {{'moe.router_scores' op scores has experts 7 but router weight has 8}}
  %s = moe.router_scores softmax %x, %w : tensor<4x16xf32>, tensor<8x16xbf16> -> tensor<4x7xf32>
  return
}

// -----

func.func @case3(%x: tensor<4x16xf16>, %w: tensor<8x16xbf16>) {
  // expected-error @+1 {{'moe.router_scores' op operand #0 must be 2D tensor of 32-bit float values, but got 'tensor<4x16xf16>'}}
  %s = moe.router_scores softmax %x, %w : tensor<4x16xf16>, tensor<8x16xbf16> -> tensor<4x8xf32>
  return
}

// -----

func.func @case4(%x: tensor<4x16xf32>, %w: tensor<8x16xi8>) {
  // expected-error @+1 {{'moe.router_scores' op operand #1 must be 2D tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<8x16xi8>'}}
  %s = moe.router_scores softmax %x, %w : tensor<4x16xf32>, tensor<8x16xi8> -> tensor<4x8xf32>
  return
}

// -----

func.func @case5(%x: tensor<16xf32>, %w: tensor<8x16xbf16>) {
  // expected-error @+1 {{'moe.router_scores' op operand #0 must be 2D tensor of 32-bit float values, but got 'tensor<16xf32>'}}
  %s = moe.router_scores softmax %x, %w : tensor<16xf32>, tensor<8x16xbf16> -> tensor<4x8xf32>
  return
}

// -----

func.func @case6(%x: tensor<4x16xf32>, %w: tensor<8x16xbf16>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'scoring' [softmax, sigmoid]}}
  %s = moe.router_scores tanh %x, %w : tensor<4x16xf32>, tensor<8x16xbf16> -> tensor<4x8xf32>
  return
}

// -----

func.func @case7(%s: tensor<4x?xf32>) {
  // expected-error @+1 {{'moe.topk' op the number of experts (scores dimension 1) must be static}}
  %w, %i = moe.topk greedy %s : tensor<4x?xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case8(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op the number of selected experts (indices dimension 1) must be static}}
  %w, %i = moe.topk greedy %s : tensor<4x8xf32> -> tensor<4x?xf32>, tensor<4x?xi32>
  return
}

// -----

func.func @case9(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op weights has tokens 3 but indices has 4}}
  %w, %i = moe.topk greedy %s : tensor<4x8xf32> -> tensor<3x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case10(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op weights has selected experts per token 3 but indices has 2}}
  %w, %i = moe.topk greedy %s : tensor<4x8xf32> -> tensor<4x3xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case11(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op indices has tokens 5 but scores has 4}}
  %w, %i = moe.topk greedy %s : tensor<4x8xf32> -> tensor<5x2xf32>, tensor<5x2xi32>
  return
}

// -----

func.func @case12(%s: tensor<4x8xf32>, %b: tensor<7xf32>) {
  // expected-error @+1 {{'moe.topk' op bias has experts 7 but scores has 8}}
  %w, %i = moe.topk noaux_tc %s bias %b : tensor<4x8xf32>, tensor<7xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case13(%s: tensor<4x0xf32>) {
  // expected-error @+1 {{'moe.topk' op routing needs at least one expert, got 0}}
  %w, %i = moe.topk greedy %s : tensor<4x0xf32> -> tensor<4x1xf32>, tensor<4x1xi32>
  return
}

// -----

func.func @case14(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op top_k must be at least 1, got 0}}
  %w, %i = moe.topk greedy %s : tensor<4x8xf32> -> tensor<4x0xf32>, tensor<4x0xi32>
  return
}

// -----

func.func @case15(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op top_k = 9 selects more experts than the 8 there are}}
  %w, %i = moe.topk greedy %s : tensor<4x8xf32> -> tensor<4x9xf32>, tensor<4x9xi32>
  return
}

// -----

func.func @case16(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op routed_scaling_factor must be finite}}
  %w, %i = moe.topk greedy %s {routed_scaling_factor = 0x7FF0000000000000 : f64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case17(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op greedy routing uses no expert groups, but n_group = 4 and topk_group = 2}}
  %w, %i = moe.topk greedy %s {n_group = 4, topk_group = 2} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case18(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op n_group must be at least 1, got 0}}
  %w, %i = moe.topk group_limited_greedy %s {n_group = 0, topk_group = 1} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case19(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op n_group = 3 does not divide the 8 experts into equal groups}}
  %w, %i = moe.topk group_limited_greedy %s {n_group = 3, topk_group = 1} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case20(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op topk_group = 5 must be between 1 and n_group = 4}}
  %w, %i = moe.topk group_limited_greedy %s {n_group = 4, topk_group = 5} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case21(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op noaux_tc routing needs the e_score_correction_bias}}
  %w, %i = moe.topk noaux_tc %s : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case22(%s: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'moe.topk' op greedy routing takes no correction bias; only noaux_tc does}}
  %w, %i = moe.topk greedy %s bias %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case23(%s: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'moe.topk' op noaux_tc selects top_k = 3 experts but the topk_group = 1 kept groups hold only 2}}
  %w, %i = moe.topk noaux_tc %s bias %b {n_group = 4, topk_group = 1} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x3xf32>, tensor<4x3xi32>
  return
}

// -----

func.func @case24(%s: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'moe.topk' op noaux_tc scores a group by its 2 largest choices, but each group has only 1 expert}}
  %w, %i = moe.topk noaux_tc %s bias %b {n_group = 8, topk_group = 4} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case25(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{'moe.topk' op has unknown attribute 'norm_topk_porb'}}
  %w, %i = moe.topk greedy %s {norm_topk_porb = true} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case26(%s: tensor<4x8xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'method' [greedy, group_limited_greedy, noaux_tc]}}
  %w, %i = moe.topk noaux %s : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @case27(%i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.dispatch' op the size of offsets (experts + 1) must be static}}
  %o, %p = moe.dispatch %i : tensor<4x2xi32> -> tensor<?xi32>, tensor<8xi32>
  return
}

// -----

func.func @case28(%i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.dispatch' op offsets must have one entry per expert plus one, got size 1}}
  %o, %p = moe.dispatch %i : tensor<4x2xi32> -> tensor<1xi32>, tensor<8xi32>
  return
}

// -----

func.func @case29(%i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.dispatch' op permutation has size 7 but indices (tokens * top_k) has 8}}
  %o, %p = moe.dispatch %i : tensor<4x2xi32> -> tensor<9xi32>, tensor<7xi32>
  return
}

// -----

func.func @case30(%x: tensor<4x16xf32>, %p: tensor<9xi32>) {
  // expected-error @+1 {{'moe.permute' op permutation has size 9 but x (tokens * top_k) has 8}}
  %r = moe.permute %x[%p] top_k 2 : tensor<4x16xf32>, tensor<9xi32> -> tensor<9x16xf32>
  return
}

// -----

func.func @case31(%x: tensor<4x16xf32>, %p: tensor<8xi32>) {
  // expected-error @+1 {{'moe.permute' op result has rows 7 but permutation has 8}}
  %r = moe.permute %x[%p] top_k 2 : tensor<4x16xf32>, tensor<8xi32> -> tensor<7x16xf32>
  return
}

// -----

func.func @case32(%x: tensor<4x16xf32>, %p: tensor<8xi32>) {
  // expected-error @+1 {{'moe.permute' op result has hidden size 15 but x has 16}}
  %r = moe.permute %x[%p] top_k 2 : tensor<4x16xf32>, tensor<8xi32> -> tensor<8x15xf32>
  return
}

// -----

func.func @case33(%x: tensor<4x16xf32>, %p: tensor<8xi32>) {
  // expected-error @+1 {{'moe.permute' op attribute 'top_k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %r = moe.permute %x[%p] top_k 0 : tensor<4x16xf32>, tensor<8xi32> -> tensor<8x16xf32>
  return
}

// -----

func.func @case34(%x: tensor<4x16xf32>, %g: tensor<8x15xbf16>, %u: tensor<8x16xbf16>, %d: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.swiglu' op gate weight has hidden size 15 but x has 16}}
  %y = moe.swiglu %x, %g, %u, %d : tensor<4x16xf32>, tensor<8x15xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16> -> tensor<4x16xf32>
  return
}

// -----

func.func @case35(%x: tensor<4x16xf32>, %g: tensor<8x16xbf16>, %u: tensor<8x15xbf16>, %d: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.swiglu' op up weight has hidden size 15 but x has 16}}
  %y = moe.swiglu %x, %g, %u, %d : tensor<4x16xf32>, tensor<8x16xbf16>, tensor<8x15xbf16>, tensor<16x8xbf16> -> tensor<4x16xf32>
  return
}

// -----

func.func @case36(%x: tensor<4x16xf32>, %g: tensor<8x16xbf16>, %u: tensor<8x16xbf16>, %d: tensor<15x8xbf16>) {
  // expected-error @+1 {{'moe.swiglu' op down weight has hidden size 15 but x has 16}}
  %y = moe.swiglu %x, %g, %u, %d : tensor<4x16xf32>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<15x8xbf16> -> tensor<4x16xf32>
  return
}

// -----

func.func @case37(%x: tensor<4x16xf32>, %g: tensor<8x16xbf16>, %u: tensor<7x16xbf16>, %d: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.swiglu' op up weight has width 7 but gate weight has 8}}
  %y = moe.swiglu %x, %g, %u, %d : tensor<4x16xf32>, tensor<8x16xbf16>, tensor<7x16xbf16>, tensor<16x8xbf16> -> tensor<4x16xf32>
  return
}

// -----

func.func @case38(%x: tensor<4x16xf32>, %g: tensor<8x16xbf16>, %u: tensor<8x16xbf16>, %d: tensor<16x7xbf16>) {
  // expected-error @+1 {{'moe.swiglu' op down weight has width 7 but gate weight has 8}}
  %y = moe.swiglu %x, %g, %u, %d : tensor<4x16xf32>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x7xbf16> -> tensor<4x16xf32>
  return
}

// -----

func.func @case39(%x: tensor<4x16xf32>, %g: tensor<8x16xbf16>, %u: tensor<8x16xbf16>, %d: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.swiglu' op result has tokens 3 but x has 4}}
  %y = moe.swiglu %x, %g, %u, %d : tensor<4x16xf32>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16> -> tensor<3x16xf32>
  return
}

// -----

func.func @case40(%x: tensor<4x16xf32>, %g: tensor<8x16xbf16>, %u: tensor<8x16xbf16>, %d: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.swiglu' op result has hidden size 15 but x has 16}}
  %y = moe.swiglu %x, %g, %u, %d : tensor<4x16xf32>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16> -> tensor<4x15xf32>
  return
}

// -----

func.func @case41(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x15xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op gate weights has hidden size 15 but x has 16}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x15xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case42(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x15xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op up weights has hidden size 15 but x has 16}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x15xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case43(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x15x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op down weights has hidden size 15 but x has 16}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x15x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case44(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<7x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op up weights has experts 7 but gate weights has 8}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<7x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case45(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<7x16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op down weights has experts 7 but gate weights has 8}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<7x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case46(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x3x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op up weights has expert width 3 but gate weights has 4}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x3x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case47(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x3xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op down weights has expert width 3 but gate weights has 4}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x3xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case48(%xs: tensor<?x16xf32>, %off: tensor<8xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op offsets has size 8 but the expert list (routed + shared + 1) has 9}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<8xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case49(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op offsets has size 9 but the expert list (routed + shared + 1) has 11}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case50(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<6x16xbf16>, %su: tensor<6x16xbf16>, %sd: tensor<16x6xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op shared expert width 6 is not a whole number of experts of width 4}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<6x16xbf16>, tensor<6x16xbf16>, tensor<16x6xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case51(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x15xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op shared gate weight has hidden size 15 but x has 16}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x15xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case52(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op shared down weight has width 4 but shared gate weight has 8}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case53(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<?x16xbf16>, %su: tensor<?x16xbf16>, %sd: tensor<16x?xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op the shared expert width must be static}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<?x16xbf16>, tensor<?x16xbf16>, tensor<16x?xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case54(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x?x16xbf16>, %u: tensor<8x?x16xbf16>, %d: tensor<8x16x?xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op the routed expert width must be static}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x?x16xbf16>, tensor<8x?x16xbf16>, tensor<8x16x?xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case55(%xs: tensor<5x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op result has rows 4 but input has 5}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<5x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @case56(%xs: tensor<?x16xf32>, %off: tensor<9xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op result has hidden size 15 but input has 16}}
  %y = moe.grouped_swiglu %xs, %off experts(%g, %u, %d) : (tensor<?x16xf32>, tensor<9xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x15xf32>
  return
}

// -----

func.func @case57(%xs: tensor<?x16xf32>, %off: tensor<11xi32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>) {
  // expected-error @+1 {{'moe.grouped_swiglu' op shared expert weights must be given all three (gate, up, down) or none}}
  %y = "moe.grouped_swiglu"(%xs, %off, %g, %u, %d, %sg) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0>}> : (tensor<?x16xf32>, tensor<11xi32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case58(%w: tensor<4x?xf32>, %i: tensor<4x?xi32>) {
  // expected-error @+1 {{'moe.append_shared_experts' op the number of routed slots (indices dimension 1) must be static}}
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x?xf32>, tensor<4x?xi32> -> tensor<4x4xf32>, tensor<4x4xi32>
  return
}

// -----

func.func @case59(%w: tensor<4x2xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.append_shared_experts' op the number of result slots must be static}}
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x2xf32>, tensor<4x2xi32> -> tensor<4x?xf32>, tensor<4x?xi32>
  return
}

// -----

func.func @case60(%w: tensor<4x2xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.append_shared_experts' op results have 1 slots per token, fewer than the 2 routed slots}}
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x2xf32>, tensor<4x2xi32> -> tensor<4x1xf32>, tensor<4x1xi32>
  return
}

// -----

func.func @case61(%w: tensor<4x3xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.append_shared_experts' op weights has slots per token 3 but indices has 2}}
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x3xf32>, tensor<4x2xi32> -> tensor<4x4xf32>, tensor<4x4xi32>
  return
}

// -----

func.func @case62(%w: tensor<4x2xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.append_shared_experts' op result weights has slots per token 3 but result indices has 4}}
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x2xf32>, tensor<4x2xi32> -> tensor<4x3xf32>, tensor<4x4xi32>
  return
}

// -----

func.func @case63(%w: tensor<5x2xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.append_shared_experts' op weights has tokens 5 but indices has 4}}
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<5x2xf32>, tensor<4x2xi32> -> tensor<4x4xf32>, tensor<4x4xi32>
  return
}

// -----

func.func @case64(%w: tensor<4x2xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.append_shared_experts' op result weights has tokens 5 but indices has 4}}
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x2xf32>, tensor<4x2xi32> -> tensor<5x4xf32>, tensor<4x4xi32>
  return
}

// -----

func.func @case65(%w: tensor<4x2xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'moe.append_shared_experts' op result indices has tokens 5 but indices has 4}}
  %w2, %i2 = moe.append_shared_experts %w, %i first_expert 8 : tensor<4x2xf32>, tensor<4x2xi32> -> tensor<4x4xf32>, tensor<5x4xi32>
  return
}

// -----

func.func @case66(%ys: tensor<8x16xf32>, %p: tensor<8xi32>, %w: tensor<4x?xf32>) {
  // expected-error @+1 {{'moe.combine' op the number of slots (weights dimension 1) must be static}}
  %y = moe.combine %ys[%p], %w : tensor<8x16xf32>, tensor<8xi32>, tensor<4x?xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @case67(%ys: tensor<9x16xf32>, %p: tensor<9xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{'moe.combine' op permutation has size 9 but weights (tokens * slots) has 8}}
  %y = moe.combine %ys[%p], %w : tensor<9x16xf32>, tensor<9xi32>, tensor<4x2xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @case68(%ys: tensor<7x16xf32>, %p: tensor<8xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{'moe.combine' op expert outputs has rows 7 but permutation has 8}}
  %y = moe.combine %ys[%p], %w : tensor<7x16xf32>, tensor<8xi32>, tensor<4x2xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @case69(%ys: tensor<8x16xf32>, %p: tensor<8xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{'moe.combine' op result has tokens 3 but weights has 4}}
  %y = moe.combine %ys[%p], %w : tensor<8x16xf32>, tensor<8xi32>, tensor<4x2xf32> -> tensor<3x16xf32>
  return
}

// -----

func.func @case70(%ys: tensor<8x16xf32>, %p: tensor<8xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{'moe.combine' op result has hidden size 15 but expert outputs has 16}}
  %y = moe.combine %ys[%p], %w : tensor<8x16xf32>, tensor<8xi32>, tensor<4x2xf32> -> tensor<4x15xf32>
  return
}

// -----

func.func @case71(%x: tensor<?x16xf32>, %wr: tensor<8x15xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op router weight has hidden size 15 but x has 16}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x15xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case72(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x15xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op gate weights has hidden size 15 but x has 16}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x15xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case73(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<7x4x16xbf16>, %u: tensor<7x4x16xbf16>, %d: tensor<7x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op gate weights has experts 7 but router weight has 8}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<7x4x16xbf16>, tensor<7x4x16xbf16>, tensor<7x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case74(%x: tensor<4x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op result has tokens 3 but x has 4}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<4x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<3x16xf32>
  return
}

// -----

func.func @case75(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op result has hidden size 15 but x has 16}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x15xf32>
  return
}

// -----

func.func @case76(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<6x16xbf16>, %su: tensor<6x16xbf16>, %sd: tensor<16x6xbf16>) {
  // expected-error @+1 {{'moe.block' op shared expert width 6 is not a whole number of experts of width 4}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) shared(%sg, %su, %sd) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<6x16xbf16>, tensor<6x16xbf16>, tensor<16x6xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case77(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %su: tensor<4x16xbf16>, %sd: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.block' op shared up weight has width 4 but shared gate weight has 8}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) shared(%sg, %su, %sd) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<4x16xbf16>, tensor<16x8xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case78(%x: tensor<?x16xf32>, %wr: tensor<?x16xbf16>, %g: tensor<?x4x16xbf16>, %u: tensor<?x4x16xbf16>, %d: tensor<?x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op the number of experts (router weight dimension 0) must be static}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<?x16xbf16>, tensor<?x4x16xbf16>, tensor<?x4x16xbf16>, tensor<?x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case79(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %b: tensor<7xf32>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op bias has experts 7 but router weight has 8}}
  %y = moe.block %x router(%wr, bias %b) experts(%g, %u, %d) scoring = sigmoid method = noaux_tc top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<7xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case80(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op top_k = 9 selects more experts than the 8 there are}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 9 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case81(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op noaux_tc routing needs the e_score_correction_bias}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = sigmoid method = noaux_tc top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case82(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op n_group = 3 does not divide the 8 experts into equal groups}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = group_limited_greedy top_k = 2 {n_group = 3, topk_group = 1} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case83(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op has unknown attribute 'routed_scaling'}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 {routed_scaling = 2.0} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @case84(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.block' op attribute 'top_k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 0 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @expert_ffn_0(%x: tensor<4x16xf32>, %p: tensor<8xi32>, %off: tensor<9xi32>, %w: tensor<4x?xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op the number of slots (weights dimension 1) must be static}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) : (tensor<4x16xf32>, tensor<8xi32>, tensor<9xi32>, tensor<4x?xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @expert_ffn_1(%x: tensor<4x16xf32>, %p: tensor<8xi32>, %off: tensor<9xi32>, %w: tensor<4x2xf32>, %g: tensor<8x4x15xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op gate weights has hidden size 15 but x has 16}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) : (tensor<4x16xf32>, tensor<8xi32>, tensor<9xi32>, tensor<4x2xf32>, tensor<8x4x15xbf16>, tensor<8x4x15xbf16>, tensor<8x16x4xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @expert_ffn_2(%x: tensor<4x16xf32>, %p: tensor<8xi32>, %off: tensor<8xi32>, %w: tensor<4x2xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op offsets has size 8 but the expert list (routed + shared + 1) has 9}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) : (tensor<4x16xf32>, tensor<8xi32>, tensor<8xi32>, tensor<4x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @expert_ffn_3(%x: tensor<4x16xf32>, %p: tensor<8xi32>, %off: tensor<9xi32>, %w: tensor<4x2xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<8x16xbf16>, %sd: tensor<16x8xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op offsets has size 9 but the expert list (routed + shared + 1) has 11}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) shared(%sg, %sg, %sd) : (tensor<4x16xf32>, tensor<8xi32>, tensor<9xi32>, tensor<4x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16x8xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @expert_ffn_4(%x: tensor<4x16xf32>, %p: tensor<6xi32>, %off: tensor<9xi32>, %w: tensor<3x2xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op weights has tokens 3 but x has 4}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) : (tensor<4x16xf32>, tensor<6xi32>, tensor<9xi32>, tensor<3x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @expert_ffn_5(%x: tensor<4x16xf32>, %p: tensor<7xi32>, %off: tensor<9xi32>, %w: tensor<4x2xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op permutation has size 7 but weights (tokens * slots) has 8}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) : (tensor<4x16xf32>, tensor<7xi32>, tensor<9xi32>, tensor<4x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @expert_ffn_6(%x: tensor<4x16xf32>, %p: tensor<8xi32>, %off: tensor<9xi32>, %w: tensor<4x2xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op result has tokens 3 but x has 4}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) : (tensor<4x16xf32>, tensor<8xi32>, tensor<9xi32>, tensor<4x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<3x16xf32>
  return
}

// -----

func.func @expert_ffn_7(%x: tensor<4x16xf32>, %p: tensor<8xi32>, %off: tensor<9xi32>, %w: tensor<4x2xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op result has hidden size 15 but x has 16}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) : (tensor<4x16xf32>, tensor<8xi32>, tensor<9xi32>, tensor<4x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<4x15xf32>
  return
}

// -----

func.func @expert_ffn_8(%x: tensor<4x16xf32>, %p: tensor<8xi32>, %off: tensor<11xi32>, %w: tensor<4x2xf32>, %g: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>, %sg: tensor<6x16xbf16>, %sd: tensor<16x6xbf16>) {
  // expected-error @+1 {{'moe.expert_ffn' op shared expert width 6 is not a whole number of experts of width 4}}
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %g, %d) shared(%sg, %sg, %sd) : (tensor<4x16xf32>, tensor<8xi32>, tensor<11xi32>, tensor<4x2xf32>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>, tensor<6x16xbf16>, tensor<6x16xbf16>, tensor<16x6xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @rope_attr_1(%x: tensor<?x32xf32>, %s: index) {
  // expected-error @+1 {{rope head_dim must be even and positive, got 7}}
  %y = moe.rope %x at %s <head_dim = 7, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @rope_attr_2(%x: tensor<?x32xf32>, %s: index) {
  // expected-error @+1 {{rope theta must be positive, got 0}}
  %y = moe.rope %x at %s <head_dim = 8, theta = 0.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @rope_attr_3(%x: tensor<?x32xf32>, %s: index) {
  // expected-error @+1 {{rope scaling_factor must be positive, got -2}}
  %y = moe.rope %x at %s <head_dim = 8, theta = 10000.0, scaling_factor = -2.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @embedding_1(%t: tensor<64x32xbf16>, %ids: tensor<5xi32>) {
  // expected-error @+1 {{'moe.embedding' op result has tokens 4 but ids has 5}}
  %x = moe.embedding %t[%ids] : tensor<64x32xbf16>, tensor<5xi32> -> tensor<4x32xf32>
  return
}

// -----

func.func @embedding_2(%t: tensor<64x32xbf16>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'moe.embedding' op result has hidden size 16 but table has 32}}
  %x = moe.embedding %t[%ids] : tensor<64x32xbf16>, tensor<?xi32> -> tensor<?x16xf32>
  return
}

// -----

func.func @rms_norm_1(%x: tensor<?x32xf32>, %w: tensor<32xbf16>) {
  // expected-error @+1 {{'moe.rms_norm' op epsilon must be non-negative, got -1}}
  %y = moe.rms_norm %x, %w epsilon -1.0 : tensor<?x32xf32>, tensor<32xbf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @rms_norm_2(%x: tensor<?x32xf32>, %w: tensor<16xbf16>) {
  // expected-error @+1 {{'moe.rms_norm' op weight has hidden size 16 but x has 32}}
  %y = moe.rms_norm %x, %w epsilon 1.0e-6 : tensor<?x32xf32>, tensor<16xbf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @rms_norm_3(%x: tensor<?x32xf32>, %w: tensor<32xbf16>) {
  // expected-error @+1 {{'moe.rms_norm' op result type 'tensor<4x32xf32>' differs from x type 'tensor<?x32xf32>'}}
  %y = moe.rms_norm %x, %w epsilon 1.0e-6 : tensor<?x32xf32>, tensor<32xbf16> -> tensor<4x32xf32>
  return
}

// -----

func.func @linear_1(%x: tensor<?x32xf32>, %w: tensor<16x31xbf16>) {
  // expected-error @+1 {{'moe.linear' op weight has input size 31 but x has 32}}
  %y = moe.linear %x, %w : (tensor<?x32xf32>, tensor<16x31xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_2(%x: tensor<3x32xf32>, %w: tensor<16x32xbf16>) {
  // expected-error @+1 {{'moe.linear' op result has tokens 4 but x has 3}}
  %y = moe.linear %x, %w : (tensor<3x32xf32>, tensor<16x32xbf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @linear_3(%x: tensor<?x32xf32>, %w: tensor<16x32xbf16>) {
  // expected-error @+1 {{'moe.linear' op result has output size 8 but weight has 16}}
  %y = moe.linear %x, %w : (tensor<?x32xf32>, tensor<16x32xbf16>) -> tensor<?x8xf32>
  return
}

// -----

func.func @linear_4(%x: tensor<?x32xf32>, %w: tensor<16x32xbf16>, %r: tensor<?x32xf32>) {
  // expected-error @+1 {{'moe.linear' op residual type 'tensor<?x32xf32>' differs from result type 'tensor<?x16xf32>'}}
  %y = moe.linear %x, %w residual %r : (tensor<?x32xf32>, tensor<16x32xbf16>, tensor<?x32xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_5(%x: tensor<?x32xf32>, %w: tensor<12x32xbf16>, %s: index) {
  // expected-error @+1 {{'moe.linear' op result width 12 is not a whole number of heads of head_dim 8}}
  %y = moe.linear %x, %w rope <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> at %s : (tensor<?x32xf32>, tensor<12x32xbf16>, index) -> tensor<?x12xf32>
  return
}

// -----

func.func @linear_6(%x: tensor<?x32xf32>, %w: tensor<16x32xbf16>, %s: index) {
  // expected-error @+1 {{'moe.linear' op a rope epilogue needs both a start position and a #moe.rope attribute}}
  %y = "moe.linear"(%x, %w, %s) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<?x32xf32>, tensor<16x32xbf16>, index) -> tensor<?x16xf32>
  return
}

// -----

func.func @rope_1(%x: tensor<?x36xf32>, %s: index) {
  // expected-error @+1 {{'moe.rope' op x width 36 is not a whole number of heads of head_dim 8}}
  %y = moe.rope %x at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x36xf32> -> tensor<?x36xf32>
  return
}

// -----

func.func @rope_2(%x: tensor<?x?xf32>, %s: index) {
  // expected-error @+1 {{'moe.rope' op x width must be static}}
  %y = moe.rope %x at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x?xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @rope_3(%x: tensor<?x32xf32>, %s: index) {
  // expected-error @+1 {{'moe.rope' op result type 'tensor<2x32xf32>' differs from x type 'tensor<?x32xf32>'}}
  %y = moe.rope %x at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<2x32xf32>
  return
}

// -----

func.func @attention_1(%q: tensor<?x?xf32>, %k: tensor<2x?x8xf32>, %s: index) {
  // expected-error @+1 {{'moe.attention' op the query width must be static}}
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x?xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @attention_2(%q: tensor<?x32xf32>, %k: tensor<?x?x8xf32>, %s: index) {
  // expected-error @+1 {{'moe.attention' op the number of key/value heads (keys dimension 0) must be static}}
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @attention_3(%q: tensor<?x30xf32>, %k: tensor<2x?x8xf32>, %s: index) {
  // expected-error @+1 {{'moe.attention' op query width 30 is not 4 heads of the keys' head size 8}}
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x30xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x30xf32>
  return
}

// -----

func.func @attention_4(%q: tensor<?x32xf32>, %k: tensor<3x?x8xf32>, %s: index) {
  // expected-error @+1 {{'moe.attention' op num_heads = 4 is not a multiple of the 3 key/value heads}}
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<3x?x8xf32>, tensor<3x?x8xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @attention_5(%q: tensor<?x32xf32>, %k: tensor<2x32x8xf32>, %v: tensor<2x64x8xf32>, %s: index) {
  // expected-error @+1 {{'moe.attention' op keys has cache positions 32 but values has 64}}
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x32x8xf32>, tensor<2x64x8xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @attention_6(%q: tensor<?x32xf32>, %k: tensor<2x?x?xf32>, %s: index) {
  // expected-error @+1 {{'moe.attention' op the key head size (keys dimension 2) must be static}}
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<2x?x?xf32>, tensor<2x?x?xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @attention_7(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf32>, %s: index) {
  // expected-error @+1 {{'moe.attention' op result width 16 is not 4 heads of the values' head size 8}}
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @attention_8(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf32>, %s: index) {
  // expected-error @+1 {{'moe.attention' op scale must be positive, got 0}}
  %o = moe.attention %q, %k, %k at %s heads 4 {scale = 0.0} : tensor<?x32xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @attention_9(%q: tensor<?x32xf32>, %k: tensor<2x?x8xf16>, %v: tensor<2x?x8xbf16>, %s: index) {
  // expected-error @+1 {{'moe.attention' op values element type 'bf16' differs from keys element type 'f16'}}
  %o = moe.attention %q, %k, %v at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xf16>, tensor<2x?x8xbf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @attention_10(%q: tensor<?x32xf32>, %k: tensor<2x?x8xi8>, %s: index) {
  // expected-error @+1 {{'moe.attention' op operand #1 must be 3D tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %o = moe.attention %q, %k, %k at %s heads 4 : tensor<?x32xf32>, tensor<2x?x8xi8>, tensor<2x?x8xi8> -> tensor<?x32xf32>
  return
}

// -----

func.func @unpack_weights_panels(%p: tensor<4x3x20x8x2xbf16>) {
  // expected-error @+1 {{'moe.unpack_weights' op packed weights has panels 3 but the matrices' outputs / panel has 2}}
  %w = moe.unpack_weights %p : tensor<4x3x20x8x2xbf16> -> tensor<4x12x40xbf16>
  return
}

// -----

func.func @unpack_weights_inputs(%p: tensor<4x2x21x8x2xbf16>) {
  // expected-error @+1 {{'moe.unpack_weights' op packed weights has input groups 21 but the matrices' inputs / k_pack has 20}}
  %w = moe.unpack_weights %p : tensor<4x2x21x8x2xbf16> -> tensor<4x12x40xbf16>
  return
}

// -----

func.func @unpack_weights_concat(%p: tensor<2x2x20x8x2xbf16>) {
  // expected-error @+1 {{'moe.unpack_weights' op a rank-2 result needs concat_dim 0 (matrices one below the other) or 1 (side by side)}}
  %w = moe.unpack_weights %p : tensor<2x2x20x8x2xbf16> -> tensor<24x40xbf16>
  return
}

// -----

func.func @unpack_weights_split(%p: tensor<2x2x20x8x2xbf16>) {
  // expected-error @+1 {{'moe.unpack_weights' op result dimension 0 (25) is not 2 matrices}}
  %w = moe.unpack_weights %p {concat_dim = 0} : tensor<2x2x20x8x2xbf16> -> tensor<25x40xbf16>
  return
}

// -----

func.func @unpack_weights_type(%p: tensor<4x2x20x8x2xbf16>) {
  // expected-error @+1 {{'moe.unpack_weights' op result element type 'f16' differs from the packed weights' 'bf16'}}
  %w = moe.unpack_weights %p : tensor<4x2x20x8x2xbf16> -> tensor<4x12x40xf16>
  return
}

// -----

func.func @unpack_weights_matrices(%p: tensor<4x2x20x8x2xbf16>) {
  // expected-error @+1 {{'moe.unpack_weights' op result has matrices 3 but packed weights has 4}}
  %w = moe.unpack_weights %p : tensor<4x2x20x8x2xbf16> -> tensor<3x12x40xbf16>
  return
}

// -----

func.func @rope_frequencies_count(%x: tensor<?x16xf32>, %s: index) {
  // expected-error @+1 {{rope needs head_dim / 2 = 4 frequencies, got 3}}
  %y = moe.rope %x at %s <head_dim = 8, frequencies = array<f64: 1.0, 0.5, 0.25>> : tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @rope_frequencies_and_theta(%x: tensor<?x16xf32>, %s: index) {
  // expected-error @+1 {{rope takes either frequencies or theta and scaling_factor, not both}}
  %y = moe.rope %x at %s <head_dim = 4, theta = 10000.0, scaling_factor = 1.0, frequencies = array<f64: 1.0, 0.5>> : tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @rope_no_frequencies(%x: tensor<?x16xf32>, %s: index) {
  // expected-error @+1 {{rope needs theta and scaling_factor, or frequencies}}
  %y = moe.rope %x at %s <head_dim = 4, theta = 10000.0> : tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @rope_negative_frequency(%x: tensor<?x16xf32>, %s: index) {
  // expected-error @+1 {{rope frequencies must be finite and non-negative, got -1}}
  %y = moe.rope %x at %s <head_dim = 4, frequencies = array<f64: 1.0, -1.0>> : tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @rope_attention_factor(%x: tensor<?x16xf32>, %s: index) {
  // expected-error @+1 {{rope attention_factor must be positive, got 0}}
  %y = moe.rope %x at %s <head_dim = 4, frequencies = array<f64: 1.0, 0.5>, attention_factor = 0.0> : tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @rope_pairs(%x: tensor<?x16xf32>, %s: index) {
  // expected-error @+1 {{rope pairs must be rotate_half or interleaved, got 'adjacent'}}
  %y = moe.rope %x at %s <head_dim = 4, theta = 1.0e4, scaling_factor = 1.0, pairs = adjacent> : tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @head_matmul_input(%x: tensor<?x60xf32>, %w: tensor<4x16x32xbf16>) {
  // expected-error @+1 {{'moe.head_matmul' op input width 60 is not 4 heads of 16 inputs}}
  %y = moe.head_matmul %x, %w : tensor<?x60xf32>, tensor<4x16x32xbf16> -> tensor<?x128xf32>
  return
}

// -----

func.func @head_matmul_result(%x: tensor<?x128xf32>, %w: tensor<4x16x32xbf16>) {
  // expected-error @+1 {{'moe.head_matmul' op result width 128 is not 4 heads of 16 outputs}}
  %y = moe.head_matmul %x, %w transposed : tensor<?x128xf32>, tensor<4x16x32xbf16> -> tensor<?x128xf32>
  return
}

// -----

func.func @head_matmul_dynamic(%x: tensor<?x64xf32>, %w: tensor<4x?x32xbf16>) {
  // expected-error @+1 {{'moe.head_matmul' op the weights' inner sizes must be static}}
  %y = moe.head_matmul %x, %w : tensor<?x64xf32>, tensor<4x?x32xbf16> -> tensor<?x128xf32>
  return
}

// -----

func.func @latent_attention_cache(%qn: tensor<?x64xf32>, %qr: tensor<?x32xf32>, %c: tensor<?x36xbf16>, %kvb: tensor<128x32xbf16>, %s: index) {
  // expected-error @+1 {{'moe.latent_attention' op latent cache width 36 is not the latent size 32 (kv_b columns) plus the rotary key size 8}}
  %o = moe.latent_attention %qn, %qr, %c, %kvb at %s heads 4 scale 0.25 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x36xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @latent_attention_heads(%qn: tensor<?x64xf32>, %qr: tensor<?x30xf32>, %c: tensor<?x40xbf16>, %kvb: tensor<128x32xbf16>, %s: index) {
  // expected-error @+1 {{'moe.latent_attention' op q_nope width 64, q_rope width 30 and kv_b rows 128 must each split into 4 heads}}
  %o = moe.latent_attention %qn, %qr, %c, %kvb at %s heads 4 scale 0.25 : tensor<?x64xf32>, tensor<?x30xf32>, tensor<?x40xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @latent_attention_values(%qn: tensor<?x128xf32>, %qr: tensor<?x32xf32>, %c: tensor<?x40xbf16>, %kvb: tensor<128x32xbf16>, %s: index) {
  // expected-error @+1 {{'moe.latent_attention' op kv_b has 32 rows per head, which leaves no value rows after the 32 key rows}}
  %o = moe.latent_attention %qn, %qr, %c, %kvb at %s heads 4 scale 0.25 : tensor<?x128xf32>, tensor<?x32xf32>, tensor<?x40xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @latent_attention_result(%qn: tensor<?x64xf32>, %qr: tensor<?x32xf32>, %c: tensor<?x40xbf16>, %kvb: tensor<128x32xbf16>, %s: index) {
  // expected-error @+1 {{'moe.latent_attention' op result width 32 is not 4 heads of 16 values}}
  %o = moe.latent_attention %qn, %qr, %c, %kvb at %s heads 4 scale 0.25 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x40xbf16>, tensor<128x32xbf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @latent_attention_scale(%qn: tensor<?x64xf32>, %qr: tensor<?x32xf32>, %c: tensor<?x40xbf16>, %kvb: tensor<128x32xbf16>, %s: index) {
  // expected-error @+1 {{'moe.latent_attention' op scale must be positive, got -1}}
  %o = moe.latent_attention %qn, %qr, %c, %kvb at %s heads 4 scale -1.0 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x40xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @linear_interleaved_rope(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %s: index) {
  // expected-error @+1 {{'moe.linear' op a rope epilogue turns rotate_half pairs; an interleaved RoPE is a moe.rope of its own}}
  %y = moe.linear %x, %w rope <head_dim = 8, theta = 10000.0, scaling_factor = 1.0, pairs = interleaved> at %s : (tensor<?x32xf32>, tensor<32x32xbf16>, index) -> tensor<?x32xf32>
  return
}
