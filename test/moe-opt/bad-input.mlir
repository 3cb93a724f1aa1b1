// Bad input gives a located diagnostic and exit code 1, never a crash.
// RUN: not moe-opt %s --split-input-file 2>&1 | FileCheck %s
// RUN: not moe-opt %S/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not moe-opt %s --moe-no-such-pass 2>&1 | FileCheck %s --check-prefix=PASS
// RUN: not moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-decompose-pipeline=fold-shared=true 2>&1 | FileCheck %s --check-prefix=OPTION

// MISSING: cannot open input file '{{.*}}does-not-exist.mlir'
// PASS: Unknown command line argument '--moe-no-such-pass'
// OPTION: no such option fold-shared

// CHECK: bad-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error: expected ','
func.func @malformed(%x: tensor<4x16xf32>) {
  %s = moe.router_scores softmax %x %x
  return
}

// -----

// CHECK: bad-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'moe.block' op has unknown attribute 'norm_topk'
func.func @unknown_attribute(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<8x4x16xbf16>, %u: tensor<8x4x16xbf16>, %d: tensor<8x16x4xbf16>) -> tensor<?x16xf32> {
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 {norm_topk = true} : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<8x4x16xbf16>, tensor<8x4x16xbf16>, tensor<8x16x4xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK: bad-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'moe.block' op gate weights has experts 7 but router weight has 8
func.func @wrong_shape(%x: tensor<?x16xf32>, %wr: tensor<8x16xbf16>, %g: tensor<7x4x16xbf16>, %u: tensor<7x4x16xbf16>, %d: tensor<7x16x4xbf16>) -> tensor<?x16xf32> {
  %y = moe.block %x router(%wr) experts(%g, %u, %d) scoring = softmax method = greedy top_k = 2 : (tensor<?x16xf32>, tensor<8x16xbf16>, tensor<7x4x16xbf16>, tensor<7x4x16xbf16>, tensor<7x16x4xbf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK: bad-input.mlir:[[@LINE+1]]:{{[0-9]+}}: error: unregistered operation 'moe.blok'
"moe.blok"() : () -> ()
