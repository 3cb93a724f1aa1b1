// RUN: moe-opt %s --split-input-file --moe-fuse-linear-epilogues | FileCheck %s

// RoPE on a projection and the residual add after the output projection
// move into the linear ops' epilogues; the standalone ops are gone.
// CHECK-LABEL: func @attention_projections
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x32xf32>, %[[WQ:[^:]*]]: tensor<32x32xbf16>, %[[WO:[^:]*]]: tensor<32x32xbf16>, %[[S:[^:]*]]: index)
// CHECK-NEXT: %[[Q:.*]] = moe.linear %[[X]], %[[WQ]] rope <head_dim = 8, theta = 1.000000e+04 : f64, scaling_factor = 1.000000e+00 : f64> at %[[S]] : (tensor<?x32xf32>, tensor<32x32xbf16>, index) -> tensor<?x32xf32>
// CHECK-NEXT: %[[H:.*]] = moe.linear %[[Q]], %[[WO]] residual %[[X]] : (tensor<?x32xf32>, tensor<32x32xbf16>, tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK-NEXT: return %[[H]]
func.func @attention_projections(%x: tensor<?x32xf32>, %wq: tensor<32x32xbf16>, %wo: tensor<32x32xbf16>, %s: index) -> tensor<?x32xf32> {
  %q = moe.linear %x, %wq : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %qr = moe.rope %q at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %o = moe.linear %qr, %wo : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %h = arith.addf %x, %o : tensor<?x32xf32>
  return %h : tensor<?x32xf32>
}

// -----

// A linear with another user keeps its own result: nothing is fused.
// CHECK-LABEL: func @shared_result
// CHECK: %[[Q:.*]] = moe.linear %{{.*}}, %{{.*}} : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
// CHECK-NEXT: moe.rope %[[Q]]
// CHECK-NEXT: arith.addf %[[Q]]
func.func @shared_result(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %s: index) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %q = moe.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %qr = moe.rope %q at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %h = arith.addf %q, %x : tensor<?x32xf32>
  return %qr, %h : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// RoPE comes before the residual: a RoPE after a residual add cannot join
// the epilogue, but RoPE then a residual can.
// CHECK-LABEL: func @order
// CHECK: %[[A:.*]] = moe.linear %{{.*}}, %{{.*}} residual %{{.*}} :
// CHECK-NEXT: moe.rope %[[A]]
// CHECK: moe.linear %{{.*}}, %{{.*}} rope <{{.*}}> at %{{.*}} residual %{{.*}} :
func.func @order(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %s: index) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %a = moe.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %ar = arith.addf %a, %x : tensor<?x32xf32>
  %arr = moe.rope %ar at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %b = moe.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %br = moe.rope %b at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0> : tensor<?x32xf32> -> tensor<?x32xf32>
  %brr = arith.addf %br, %x : tensor<?x32xf32>
  return %arr, %brr : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// The kernels' epilogue turns rotate-half pairs: an interleaved RoPE (MLA's)
// stays on its own.
// CHECK-LABEL: func @interleaved_rope_stays
// CHECK: %[[Y:.*]] = moe.linear %{{.*}}, %{{.*}} : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
// CHECK: moe.rope %[[Y]]
func.func @interleaved_rope_stays(%x: tensor<?x32xf32>, %w: tensor<32x32xbf16>, %s: index) -> tensor<?x32xf32> {
  %y = moe.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xbf16>) -> tensor<?x32xf32>
  %r = moe.rope %y at %s <head_dim = 8, theta = 10000.0, scaling_factor = 1.0, pairs = interleaved> : tensor<?x32xf32> -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}
