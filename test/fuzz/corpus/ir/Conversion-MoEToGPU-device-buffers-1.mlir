func.func @host_read(%in: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.load' would access device memory from the host}}
  %v = memref.load %in[%c0] : memref<?xf32>
  return %v : f32
}
