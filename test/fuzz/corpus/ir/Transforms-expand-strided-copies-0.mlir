func.func @copies(%src: memref<?x16xf32>, %cache: memref<?x16xf32>, %start: index, %dst: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %src, %c0 : memref<?x16xf32>
  %rows = memref.subview %cache[%start, 0] [%n, 16] [1, 1] : memref<?x16xf32> to memref<?x16xf32, strided<[16, 1], offset: ?>>
  memref.copy %src, %rows : memref<?x16xf32> to memref<?x16xf32, strided<[16, 1], offset: ?>>
  memref.copy %src, %dst : memref<?x16xf32> to memref<?x16xf32>
  return
}
