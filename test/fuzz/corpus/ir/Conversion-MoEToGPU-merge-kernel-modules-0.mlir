// Every kernel moves into the first gpu.module, renamed where its name is
// taken; the module is then @moe_kernels, and the launches follow.
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
