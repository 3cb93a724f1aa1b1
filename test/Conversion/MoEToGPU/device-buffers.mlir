// RUN: moe-opt %s --split-input-file --moe-gpu-device-buffers --verify-diagnostics | FileCheck %s

// Host buffers become device buffers; a copy is a device copy; what nothing
// frees is freed at the end, but not what the function returns.
// CHECK-LABEL: func @buffers
// CHECK-SAME: (%[[IN:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?xf32>)
// CHECK: %[[A:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
// CHECK: %[[B:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
// CHECK: %[[R:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
// CHECK: gpu.launch
// CHECK:   memref.load %[[IN]]
// CHECK:   memref.store %{{.*}}, %[[A]]
// CHECK: gpu.dealloc %[[B]] : memref<?xf32>
// CHECK: gpu.memcpy %[[OUT]], %[[A]] : memref<?xf32>, memref<?xf32>
// CHECK-NOT: memref.
// CHECK: gpu.dealloc %[[A]] : memref<?xf32>
// CHECK-NOT: gpu.dealloc %[[R]]
// CHECK: return %[[R]]
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

// -----

// A launch the host makes only when a condition holds (one form of a
// product): its body runs on the device, and stays as it is.
// CHECK-LABEL: func @conditional_launch
// CHECK: %[[A:.*]] = gpu.alloc
// CHECK: scf.if
// CHECK:   gpu.launch
// CHECK:     memref.store %{{.*}}, %[[A]]
// CHECK: gpu.dealloc %[[A]]
func.func @conditional_launch(%n: index, %use: i1) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc(%n) : memref<?xf32>
  scf.if %use {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      memref.store %zero, %a[%bx] : memref<?xf32>
      gpu.terminator
    }
  }
  return
}

// -----

func.func @host_write_when(%in: memref<?xf32>, %c: i1) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  scf.if %c {
    // expected-error @below {{'memref.store' would access device memory from the host}}
    memref.store %zero, %in[%c0] : memref<?xf32>
  }
  return
}

// -----

func.func @host_read(%in: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.load' would access device memory from the host}}
  %v = memref.load %in[%c0] : memref<?xf32>
  return %v : f32
}
