// A barrier cuts the kernel without exchanging values: every thread's
// stores come before any thread's loads.
func.func @barrier(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    memref.store %zero, %a[%tx] : memref<?xf32>
    gpu.barrier
    %next = arith.addi %tx, %c1 : index
    %wrapped = arith.remui %next, %c32 : index
    %v = memref.load %a[%wrapped] : memref<?xf32>
    memref.store %v, %b[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}
