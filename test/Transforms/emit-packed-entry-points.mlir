// RUN: moe-opt %s --moe-emit-packed-entry-points | FileCheck %s

// Each C interface gets moec_call_<name>(ptr): argument i is loaded from
// slot i; a memref descriptor is passed by pointer, an index by value.
// CHECK: llvm.func @moec_call_layer(%[[ARGS:.*]]: !llvm.ptr)
// CHECK:      %[[S0:.*]] = llvm.getelementptr %[[ARGS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[P0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[S1:.*]] = llvm.getelementptr %[[ARGS]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[P1:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[I1:.*]] = llvm.load %[[P1]] : !llvm.ptr -> i64
// CHECK:      llvm.call @_mlir_ciface_layer(%[[P0]], %[[I1]]) : (!llvm.ptr, i64) -> ()
// CHECK-NEXT: llvm.return
// Functions without a C interface, and declarations, get none.
// CHECK-NOT: @moec_call_helper
// CHECK-NOT: @moec_call_external
llvm.func @_mlir_ciface_layer(%h: !llvm.ptr, %start: i64) {
  llvm.return
}
llvm.func @helper(%h: !llvm.ptr) {
  llvm.return
}
llvm.func @_mlir_ciface_external(!llvm.ptr)
