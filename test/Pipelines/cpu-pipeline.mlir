// RUN: moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-cpu-pipeline="vector-width=16" | FileCheck %s
// RUN: moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-cpu-pipeline="vector-width=8 parallel=false" | FileCheck %s --check-prefix=SEQ
// RUN: moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-cpu-pipeline="fuse-experts=false" | FileCheck %s --check-prefix=UNFUSED

// The whole 16B block lowers to the LLVM dialect with a C interface; the
// expert kernels are OpenMP parallel loops of 16-lane fused multiply-adds.
// CHECK: llvm.func @deepseekmoe_16b_mlp(
// CHECK-NOT: moe.
// CHECK-NOT: linalg.
// CHECK-NOT: scf.
// CHECK: omp.parallel
// CHECK: llvm.intr.fmuladd{{.*}}vector<16xf32>
// CHECK: llvm.intr.vector.reduce.fadd

// SEQ: llvm.func @deepseekmoe_16b_mlp(
// SEQ-NOT: omp.parallel
// SEQ: llvm.intr.fmuladd{{.*}}vector<8xf32>

// UNFUSED: llvm.func @deepseekmoe_16b_mlp(
// UNFUSED-NOT: omp.parallel
// UNFUSED-NOT: vector<16xf32>
