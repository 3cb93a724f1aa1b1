// RUN: not moe-opt %s --moe-emit-packed-entry-points 2>&1 | FileCheck %s

// Compiled functions return results through output operands; a C interface
// with a result has no packed form.
// CHECK: error: moe-emit-packed-entry-points: _mlir_ciface_result returns a value; packed entry points take results through output operands
llvm.func @_mlir_ciface_result(%h: !llvm.ptr) -> i64 {
  %c = llvm.mlir.constant(1 : i64) : i64
  llvm.return %c : i64
}
