// A launch runs as loops over blocks then threads (z, y, x), ids replaced by
// the loop indices; a thread's fixed-size private array is allocated once,
// before the loops.
func.func @kernel(%a: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %i = arith.addi %bx, %tx : index
    %in = arith.cmpi ult, %i, %n : index
    scf.if %in {
      %s = memref.alloca() : memref<4xf32>
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%i] : memref<?xf32>
      memref.store %v, %s[%c0] : memref<4xf32>
      %w = memref.load %s[%c0] : memref<4xf32>
      memref.store %w, %a[%i] : memref<?xf32>
    }
    gpu.terminator
  }
  return
}
