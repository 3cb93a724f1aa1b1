// The kernels link libdevice (exp) from the CUDA toolkit.
// REQUIRES: ptxas
// RUN: moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s
// RUN: moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-gpu-pipeline="chip=sm_80 format=isa" | FileCheck %s --check-prefix=SM80
// RUN: not moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-gpu-pipeline="chip=sm_75" 2>&1 | FileCheck %s --check-prefix=BADCHIP
// RUN: not moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-gpu-pipeline="format=elf" 2>&1 | FileCheck %s --check-prefix=BADFORMAT

// The 16B block becomes host code in the LLVM dialect that allocates device
// buffers and launches eight kernels, in order on one stream, from one
// kernel module holding PTX for the chosen chip: routing, dispatch, the
// experts and the combine all run on the device. Each expert product comes
// in two forms, tensor-core tiles and a warp per four outputs, which the
// host picks between by the number of rows: one kernel, its grid that of
// the form chosen, its body making the same choice.
// CHECK: module attributes {gpu.container_module}
// CHECK: llvm.func @deepseekmoe_16b_mlp(
// CHECK: llvm.call @mgpuStreamCreate()
// CHECK: llvm.call @mgpuMemAlloc(
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @moe_kernels::@moe_router_logits
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @moe_kernels::@moe_route
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @moe_kernels::@moe_dispatch_count
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @moe_kernels::@moe_dispatch_offsets
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @moe_kernels::@moe_dispatch_scatter
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @moe_kernels::@moe_experts_gate_up blocks
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @moe_kernels::@moe_experts_down blocks
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @moe_kernels::@moe_combine
// CHECK: llvm.call @mgpuMemFree(
// CHECK: llvm.call @mgpuStreamSynchronize(
// CHECK-NOT: unrealized_conversion_cast
// CHECK-NOT: _tiles
// CHECK: gpu.binary @moe_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90{{.*}}.visible .entry moe_router_logits({{.*}}mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-NOT: gpu.module
// CHECK-NOT: gpu.binary

// SM80: gpu.binary @moe_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, {{.*}}.target sm_80

// BADCHIP: moe-gpu-pipeline: unknown GPU architecture 'sm_75': use sm_80, sm_86, sm_89, sm_90 or sm_90a
// BADFORMAT: moe-gpu-pipeline: unknown format 'elf': use isa (PTX), bin (cubin) or fatbin
