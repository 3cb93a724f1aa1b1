// Host buffers become device buffers; a copy is a device copy; what nothing
// frees is freed at the end, but not what the function returns.
func.func @buffers(%in: memref<?xf32>, %out: memref<?xf32>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %in, %c0 : memref<?xf32>
  %a = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc(%n) : memref<?xf32>
  %r = memref.alloc(%n) : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %in[%bx] : memref<?xf32>
    memref.store %v, %a[%bx] : memref<?xf32>
    gpu.terminator
  }
  memref.dealloc %b : memref<?xf32>
  memref.copy %a, %out : memref<?xf32> to memref<?xf32>
  return %r : memref<?xf32>
}
