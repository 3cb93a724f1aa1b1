func.func @other_collective(%v: f32) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{cannot run 'gpu.subgroup_reduce' one thread at a time}}
    %sum = gpu.subgroup_reduce add %v : (f32) -> f32
    gpu.terminator
  }
  return
}
