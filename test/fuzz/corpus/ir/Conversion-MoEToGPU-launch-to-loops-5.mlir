func.func @private_across_cut(%v: f32) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{a thread's private array cannot live across a shuffle or barrier}}
    %s = memref.alloca() : memref<4xf32>
    memref.store %v, %s[%c0] : memref<4xf32>
    gpu.barrier
    %w = memref.load %s[%c0] : memref<4xf32>
    gpu.terminator
  }
  return
}
