llvm.func @_mlir_ciface_layer(%h: !llvm.ptr, %start: i64) {
  llvm.return
}
llvm.func @helper(%h: !llvm.ptr) {
  llvm.return
}
llvm.func @_mlir_ciface_external(!llvm.ptr)
