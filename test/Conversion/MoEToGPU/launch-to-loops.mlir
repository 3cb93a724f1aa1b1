// RUN: moe-opt %s --split-input-file --moe-gpu-launch-to-loops --verify-diagnostics | FileCheck %s

// A launch runs as loops over blocks then threads (z, y, x), ids replaced by
// the loop indices; a thread's fixed-size private array is allocated once,
// before the loops.
// CHECK-LABEL: func @kernel
// CHECK-SAME: (%[[A:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: %[[S:.*]] = memref.alloca() : memref<4xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c1
// CHECK:   scf.for %{{.*}} = %c0 to %c1
// CHECK:     scf.for %[[BX:.*]] = %c0 to %[[N]]
// CHECK:       scf.for %{{.*}} = %c0 to %c1
// CHECK:         scf.for %{{.*}} = %c0 to %c1
// CHECK:           scf.for %[[TX:.*]] = %c0 to %c32
// CHECK:             %[[I:.*]] = arith.addi %[[BX]], %[[TX]]
// CHECK:             scf.if
// CHECK:               memref.store %{{.*}}, %[[S]]
// CHECK:               memref.store %{{.*}}, %[[A]][%[[I]]]
// CHECK-NOT: gpu.
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

// -----

// A shuffle cuts the kernel: every thread of the block runs the piece
// before it, keeping the values later pieces use in per-thread slots; the
// shuffle reads the slot of lane ^ offset within the thread's warp; then
// every thread runs the rest.
// CHECK-LABEL: func @shuffle
// CHECK-SAME: (%[[A:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: arith.muli
// CHECK: %[[THREADS:.*]] = arith.muli
// CHECK: %[[I:.*]] = memref.alloca(%[[THREADS]]) : memref<?xindex>
// CHECK: %[[V:.*]] = memref.alloca(%[[THREADS]]) : memref<?xf32>
// CHECK: %[[THEIRS:.*]] = memref.alloca(%[[THREADS]]) : memref<?xf32>
// CHECK:     scf.for %{{.*}} = %c0 to %[[N]]
// CHECK:       scf.for %[[TX:.*]] = %c0 to %c64
// CHECK:         %[[LINEAR:.*]] = arith.addi %{{.*}}, %[[TX]]
// CHECK:         memref.store %{{.*}}, %[[I]][%[[LINEAR]]]
// CHECK:         %[[LOADED:.*]] = memref.load %[[A]]
// CHECK:         memref.store %[[LOADED]], %[[V]][%[[LINEAR]]]
// CHECK:       scf.for %[[T:.*]] = %c0 to %[[THREADS]]
// CHECK:         %[[LANE:.*]] = arith.remui %[[T]], %c32
// CHECK:         %[[WARP:.*]] = arith.subi %[[T]], %[[LANE]]
// CHECK:         %[[LANE32:.*]] = arith.index_cast %[[LANE]] : index to i32
// CHECK:         %[[PARTNER:.*]] = arith.xori %[[LANE32]], %c1_i32
// CHECK:         %[[FROM:.*]] = arith.select %{{.*}}, %{{.*}}, %[[T]]
// CHECK:         %[[OTHER:.*]] = memref.load %[[V]][%[[FROM]]]
// CHECK:         memref.store %[[OTHER]], %[[THEIRS]][%[[T]]]
// CHECK:       scf.for %[[TX2:.*]] = %c0 to %c64
// CHECK:         %[[LINEAR2:.*]] = arith.addi %{{.*}}, %[[TX2]]
// CHECK-DAG:     %[[OWN:.*]] = memref.load %[[V]][%[[LINEAR2]]]
// CHECK-DAG:     %[[GOT:.*]] = memref.load %[[THEIRS]][%[[LINEAR2]]]
// CHECK-DAG:     %[[AT:.*]] = memref.load %[[I]][%[[LINEAR2]]]
// CHECK:         %[[SUM:.*]] = arith.addf %[[OWN]], %[[GOT]]
// CHECK:         memref.store %[[SUM]], %[[A]][%[[AT]]]
// CHECK-NOT: gpu.
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

// -----

// A barrier cuts the kernel without exchanging values: every thread's
// stores come before any thread's loads.
// CHECK-LABEL: func @barrier
// CHECK:   scf.for %[[BX:.*]] = %c0 to
// CHECK:     scf.for
// CHECK:       memref.store
// CHECK-NOT:   memref.load
// CHECK:     scf.for
// CHECK:       memref.load
// CHECK-NOT: gpu.
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

// -----

func.func @nested_barrier(%c: i1) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.if %c {
      // expected-error @below {{'gpu.barrier' must be at the top level of the kernel, where every thread reaches it}}
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

func.func @nested_shuffle_of_threads_not_warps(%v: f32, %c: i1) {
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  %width = arith.constant 32 : i32
  // expected-error @below {{kernels whose warps run in lock step (warp matrix products, shuffles in loops or branches) need a constant number of threads per block, a multiple of 32}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.if %c {
      %other, %valid = gpu.shuffle xor %v, %one, %width : f32
    }
    gpu.terminator
  }
  return
}

// -----

// Shuffles inside a loop (the attention's running softmax) run the warp's
// lanes in lock step too: the loop once per warp, its carried values in
// per-lane slots, each shuffle reading the partner lane's slot.
// CHECK-LABEL: func @shuffles_in_a_loop
// CHECK-SAME: (%{{.*}}: memref<32xf32>, %[[IN:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[N]] step
// CHECK:   scf.for %[[LANE:.*]] = %c0{{.*}} to %c32
// CHECK:     memref.load %[[IN]]
// CHECK:   scf.for %[[LANE2:.*]] = %c0{{.*}} to %c32
// CHECK:     arith.xori %[[LANE2]], %c16
// CHECK-NOT: gpu.shuffle
func.func @shuffles_in_a_loop(%out: memref<32xf32>, %in: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %sixteen = arith.constant 16 : i32
  %width = arith.constant 32 : i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %in[%i] : memref<?xf32>
      %mine = arith.mulf %v, %acc : f32
      %theirs, %valid = gpu.shuffle xor %mine, %sixteen, %width : f32
      %next = arith.addf %mine, %theirs : f32
      scf.yield %next : f32
    }
    memref.store %sum, %out[%tx] : memref<32xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @other_collective(%v: f32) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @below {{cannot run 'gpu.subgroup_reduce' one thread at a time}}
    %sum = gpu.subgroup_reduce add %v : (f32) -> f32
    gpu.terminator
  }
  return
}

// -----

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

// -----

// Warp matrix products run a warp's 32 lanes in lock step: the ops between
// two warp-wide ops run in a loop over the lanes, passing values on in
// slots (memref<32 x T>, a lane's value each); the warp-uniform loop runs
// once, its loop-carried values in slots. An mma.sync places every lane's
// fragments into scratch matrices in the PTX ISA's layout (lane 4g + t: A
// rows g and g + 8, columns 2t, 2t + 1 and + 8), multiplies 16 x 8 x 16 and
// hands each lane its accumulators; a shuffle reads its partner's slot.
// CHECK-LABEL: func @warp_products
// CHECK-SAME: (%[[OUT:.*]]: memref<?xf32>, %[[N:.*]]: index, %[[PA:.*]]: i32, %[[PB:.*]]: i32
// CHECK-DAG: %[[A:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK-DAG: %[[B:.*]] = memref.alloca() : memref<8x16xf32>
// CHECK-DAG: %[[C:.*]] = memref.alloca() : memref<16x8xf32>
// CHECK-DAG: %[[ACC0:.*]] = memref.alloca() : memref<32xf32>
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c1
// CHECK:   scf.for %{{.*}} = %c0{{.*}} to %c1
// CHECK:     scf.for %[[BX:.*]] = %c0{{.*}} to %[[N]]
// CHECK:       scf.for %[[WARP:.*]] = %c0{{.*}} to %c2
// CHECK:         %[[START:.*]] = arith.muli %[[WARP]], %c32
// CHECK:         scf.for %[[L:.*]] = %c0{{.*}} to %c32
// CHECK:           memref.store %cst, %[[ACC0]][%[[L]]]
// CHECK:         scf.for %{{.*}} = %c0{{.*}} to %c4
// CHECK:           scf.for %[[LANE:.*]] = %c0{{.*}} to %c32
// CHECK:             %[[G:.*]] = arith.divui %[[LANE]], %c4
// CHECK:             %[[T:.*]] = arith.remui %[[LANE]], %c4
// CHECK:             %[[TWOT:.*]] = arith.muli %[[T]], %c2
// CHECK:             arith.shli %[[PA]], %c16_i32
// CHECK:             arith.andi %[[PA]], %c-65536_i32
// CHECK:             vector.store %{{.*}}, %[[A]][%[[G]], %[[TWOT]]] : memref<16x16xf32>, vector<2xf32>
// CHECK:             vector.store %{{.*}}, %[[B]][%[[G]], %[[TWOT]]] : memref<8x16xf32>, vector<2xf32>
// CHECK:             %[[C0:.*]] = memref.load %[[ACC0]][%[[LANE]]]
// CHECK:             memref.store %[[C0]], %[[C]][%[[G]], %[[TWOT]]]
// CHECK:           scf.for %{{.*}} = %c0{{.*}} to %c16
// CHECK:             scf.for %{{.*}} = %c0{{.*}} to %c8
// CHECK:               scf.for %{{.*}} = %c0{{.*}} to %c16
// CHECK:                 memref.load %[[A]]
// CHECK:                 memref.load %[[B]]
// CHECK:                 arith.mulf
// CHECK:                 arith.addf
// CHECK:           scf.for %[[LANE2:.*]] = %c0{{.*}} to %c32
// CHECK:             %[[D0:.*]] = memref.load %[[C]]
// CHECK:             memref.store %[[D0]], %[[PRODUCT0:.*]][%[[LANE2]]]
// CHECK:           scf.for %[[LANE3:.*]] = %c0{{.*}} to %c32
// CHECK:             %[[PARTNER:.*]] = arith.xori %[[LANE3]], %c1
// CHECK:             %[[INSIDE:.*]] = arith.cmpi ult, %[[PARTNER]], %c32
// CHECK:             %[[FROM:.*]] = arith.select %[[INSIDE]], %[[PARTNER]], %[[LANE3]]
// CHECK:             %[[THEIRS:.*]] = memref.load %[[PRODUCT0]][%[[FROM]]]
// CHECK:             memref.store %[[THEIRS]], %[[SHUFFLED:.*]][%[[LANE3]]]
// CHECK:           scf.for %[[LANE4:.*]] = %c0{{.*}} to %c32
// CHECK:             %[[OWN:.*]] = memref.load %[[PRODUCT0]][%[[LANE4]]]
// CHECK:             %[[GOT:.*]] = memref.load %[[SHUFFLED]][%[[LANE4]]]
// CHECK:             arith.addf %[[OWN]], %[[GOT]]
// The loop's yield: every lane's values read before any is written.
// CHECK:           scf.for
// CHECK-COUNT-4:     memref.load
// CHECK:             memref.store %{{.*}}, %[[ACC0]]
// CHECK:         scf.for %[[LANE5:.*]] = %c0{{.*}} to %c32
// CHECK:           %[[LINEAR:.*]] = arith.addi %[[START]], %[[LANE5]]
// CHECK:           %[[TX:.*]] = arith.remui %[[LINEAR]], %c64
// CHECK:           %[[AT:.*]] = arith.addi %{{.*}}, %[[TX]]
// CHECK:           %[[RESULT:.*]] = memref.load %[[ACC0]][%[[LANE5]]]
// CHECK:           memref.store %[[RESULT]], %[[OUT]][%[[AT]]]
// CHECK-NOT: gpu.
// CHECK-NOT: nvvm.
func.func @warp_products(%out: memref<?xf32>, %n: index, %a: i32, %b: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %acc:4 = scf.for %i = %c0 to %c4 step %c1 iter_args(%c0v = %zero, %c1v = %zero, %c2v = %zero, %c3v = %zero) -> (f32, f32, f32, f32) {
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c0v, %c1v, %c2v, %c3v] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      %d0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
      %d1 = llvm.extractvalue %d[1] : !llvm.struct<(f32, f32, f32, f32)>
      %d2 = llvm.extractvalue %d[2] : !llvm.struct<(f32, f32, f32, f32)>
      %d3 = llvm.extractvalue %d[3] : !llvm.struct<(f32, f32, f32, f32)>
      %one = arith.constant 1 : i32
      %width = arith.constant 32 : i32
      %other, %valid = gpu.shuffle xor %d0, %one, %width : f32
      %sum = arith.addf %d0, %other : f32
      scf.yield %sum, %d1, %d2, %d3 : f32, f32, f32, f32
    }
    %base = arith.muli %bx, %c64 : index
    %at = arith.addi %base, %tx : index
    memref.store %acc#0, %out[%at] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @products_and_barrier(%a: i32, %b: i32, %c: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    // expected-error @below {{barriers are not supported in kernels whose warps run in lock step}}
    gpu.barrier
    gpu.terminator
  }
  return
}

// -----

func.func @products_of_threads_not_warps(%a: i32, %b: i32, %c: f32) {
  %c1 = arith.constant 1 : index
  %c48 = arith.constant 48 : index
  // expected-error @below {{kernels whose warps run in lock step (warp matrix products, shuffles in loops or branches) need a constant number of threads per block, a multiple of 32}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c48, %sy = %c1, %sz = %c1) {
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    gpu.terminator
  }
  return
}

// -----

func.func @products_and_shuffle_down(%a: i32, %b: i32, %c: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    %d0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
    %one = arith.constant 1 : i32
    %width = arith.constant 32 : i32
    // expected-error @below {{only xor shuffles of constant offset and width run in lock step}}
    %other, %valid = gpu.shuffle down %d0, %one, %width : f32
    gpu.terminator
  }
  return
}

// -----

func.func @products_in_while(%a: i32, %b: i32, %c: f32, %go: i1) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @below {{'scf.while' holding warp-wide ops cannot run in lock step}}
    scf.while : () -> () {
      scf.condition(%go)
    } do {
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      scf.yield
    }
    gpu.terminator
  }
  return
}

// -----

func.func @products_of_f16(%a: vector<2xf16>, %b: vector<2xf16>, %c: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @below {{only m16n8k16 row.col products of bf16 into f32 run in lock step}}
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    gpu.terminator
  }
  return
}

// -----

func.func @view_across_products(%m: memref<8xf32>, %a: i32, %b: i32, %c: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @below {{a value of type 'memref<4xf32, strided<[1]>>' cannot pass between lanes' runs in lock step}}
    %v = memref.subview %m[0][4][1] : memref<8xf32> to memref<4xf32, strided<[1]>>
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    %i = arith.constant 0 : index
    memref.store %c, %v[%i] : memref<4xf32, strided<[1]>>
    gpu.terminator
  }
  return
}

// -----

func.func @products_and_wide_shuffle(%a: i32, %b: i32, %c: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    %d0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
    %offset = arith.constant 32 : i32
    %width = arith.constant 64 : i32
    // expected-error @below {{a shuffle's offset must be below 32 and its width in [1, 32]}}
    %other, %valid = gpu.shuffle xor %d0, %offset, %width : f32
    gpu.terminator
  }
  return
}
