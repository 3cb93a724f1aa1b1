// RUN: moe-opt %s --moe-expand-strided-copies | FileCheck %s

// A copy into rows of a larger buffer (new keys into a KV cache) becomes a
// linalg.copy; a copy between identity layouts stays a memcpy.
// CHECK-LABEL: func @copies
// CHECK-SAME: (%[[SRC:.*]]: memref<?x16xf32>, %[[CACHE:.*]]: memref<?x16xf32>, %[[START:.*]]: index, %[[DST:.*]]: memref<?x16xf32>)
// CHECK: %[[ROWS:.*]] = memref.subview %[[CACHE]]
// CHECK-NEXT: linalg.copy ins(%[[SRC]] : memref<?x16xf32>) outs(%[[ROWS]] : memref<?x16xf32, strided<[16, 1], offset: ?>>)
// CHECK-NEXT: memref.copy %[[SRC]], %[[DST]] : memref<?x16xf32> to memref<?x16xf32>
func.func @copies(%src: memref<?x16xf32>, %cache: memref<?x16xf32>, %start: index, %dst: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %src, %c0 : memref<?x16xf32>
  %rows = memref.subview %cache[%start, 0] [%n, 16] [1, 1] : memref<?x16xf32> to memref<?x16xf32, strided<[16, 1], offset: ?>>
  memref.copy %src, %rows : memref<?x16xf32> to memref<?x16xf32, strided<[16, 1], offset: ?>>
  memref.copy %src, %dst : memref<?x16xf32> to memref<?x16xf32>
  return
}
