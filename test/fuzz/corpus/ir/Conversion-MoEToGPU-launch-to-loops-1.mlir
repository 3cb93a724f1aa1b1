// A shuffle cuts the kernel: every thread of the block runs the piece
// before it, keeping the values later pieces use in per-thread slots; the
// shuffle reads the slot of lane ^ offset within the thread's warp; then
// every thread runs the rest.
func.func @shuffle(%a: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %c64 : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %a[%i] : memref<?xf32>
    %one = arith.constant 1 : i32
    %width = arith.constant 32 : i32
    %other, %valid = gpu.shuffle xor %v, %one, %width : f32
    %sum = arith.addf %v, %other : f32
    memref.store %sum, %a[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}
