// RUN: moe-opt %S/../../examples/deepseekmoe-small-model.mlir --moe-cpu-pipeline="vector-width=8" | FileCheck %s --implicit-check-not=memrefCopy
// RUN: moe-opt %S/../../examples/deepseekmoe-small-model.mlir --moe-cpu-pipeline="fuse-experts=false" | FileCheck %s --check-prefix=UNFUSED --implicit-check-not=memrefCopy

// A whole model lowers to the LLVM dialect: every function keeps its C
// interface and gets the packed entry point the runtime calls; no copy needs
// MLIR's runtime library (the new keys go into rows of the KV cache as a
// loop, not a call to memrefCopy); the kernels are OpenMP-parallel.
// CHECK-DAG: llvm.func @moec_call_embed(%{{.*}}: !llvm.ptr)
// CHECK-DAG: llvm.func @moec_call_decoder_layer_0(%{{.*}}: !llvm.ptr)
// CHECK-DAG: llvm.func @moec_call_decoder_layer_1(%{{.*}}: !llvm.ptr)
// CHECK-DAG: llvm.func @moec_call_head(%{{.*}}: !llvm.ptr)
// CHECK-DAG: llvm.func @_mlir_ciface_decoder_layer_1(
// CHECK-DAG: omp.parallel
// CHECK-DAG: llvm.intr.fmuladd{{.*}}vector<8xf32>
// CHECK-DAG: llvm.intr.cos({{.*}}) : (f64) -> f64
// CHECK-NOT: moe.
// CHECK-NOT: linalg.

// UNFUSED-DAG: llvm.func @moec_call_decoder_layer_1(%{{.*}}: !llvm.ptr)
// UNFUSED-NOT: omp.parallel
