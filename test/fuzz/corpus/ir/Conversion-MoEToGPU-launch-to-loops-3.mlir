func.func @nested_shuffle(%v: f32, %c: i1) {
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  %width = arith.constant 32 : i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.if %c {
      // expected-error @below {{'gpu.shuffle' must be at the top level of the kernel, where every thread reaches it}}
      %other, %valid = gpu.shuffle xor %v, %one, %width : f32
    }
    gpu.terminator
  }
  return
}
