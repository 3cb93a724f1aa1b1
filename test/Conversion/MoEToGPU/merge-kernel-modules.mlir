// RUN: moe-opt %s --moe-gpu-merge-kernel-modules | FileCheck %s

// Every kernel moves into the first gpu.module, renamed where its name is
// taken; the module is then @moe_kernels, and the launches follow.
// CHECK: gpu.module @moe_kernels
// CHECK:   gpu.func @k() kernel
// CHECK:   gpu.func @other() kernel
// CHECK:   gpu.func @[[RENAMED:k_[0-9]+]]() kernel
// CHECK-NOT: gpu.module
// CHECK: func.func @host
// CHECK:   gpu.launch_func @moe_kernels::@k
// CHECK:   gpu.launch_func @moe_kernels::@other
// CHECK:   gpu.launch_func @moe_kernels::@[[RENAMED]]
module attributes {gpu.container_module} {
  gpu.module @first {
    gpu.func @k() kernel { gpu.return }
  }
  gpu.module @second {
    gpu.func @other() kernel { gpu.return }
  }
  gpu.module @third {
    gpu.func @k() kernel { gpu.return }
  }
  func.func @host() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @first::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @second::@other blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @third::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
