// REQUIRES: ptxas
// RUN: moe-opt %S/../../../examples/deepseekmoe-16b-block.mlir --moe-gpu-pipeline="chip=sm_90 format=isa" | %python %S/extract_ptx.py > %t.sm_90.ptx
// RUN: %ptxas -arch=sm_90 %t.sm_90.ptx -o %t.sm_90.cubin
// RUN: moe-opt %S/../../../examples/deepseekmoe-16b-block.mlir --moe-gpu-pipeline="chip=sm_80 format=isa" | %python %S/extract_ptx.py > %t.sm_80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm_80.ptx -o %t.sm_80.cubin
// RUN: FileCheck %s < %t.sm_90.ptx
// A cubin straight from the pipeline (it runs the toolkit's ptxas itself).
// RUN: moe-opt %S/../../../examples/deepseekmoe-16b-block.mlir --moe-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s --check-prefix=CUBIN

// The PTX of the DeepSeekMoE-16B block assembles for sm_80 and sm_90: its
// eight kernels (dispatch_offsets with a barrier), with exp from libdevice and no float atomics; both
// expert products also as tensor-core tiles (BF16 mma.sync, F32 sums) in
// the same kernel as their warp form.
// CHECK: .target sm_90
// CHECK-DAG: .visible .entry moe_router_logits(
// CHECK-DAG: .visible .entry moe_route(
// CHECK-DAG: .visible .entry moe_dispatch_count(
// CHECK-DAG: .visible .entry moe_dispatch_offsets(
// CHECK-DAG: bar.sync 0;
// CHECK-DAG: .visible .entry moe_dispatch_scatter(
// CHECK-DAG: .visible .entry moe_experts_gate_up(
// CHECK-DAG: .visible .entry moe_experts_down(
// CHECK-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-DAG: .visible .entry moe_combine(
// CHECK-NOT: atom.
// CHECK-NOT: red.
// CHECK-NOT: __nv_expf
// CHECK-NOT: _tiles(
// CHECK-NOT: moe_router_softmax(
// CHECK-NOT: moe_topk(
// CHECK-NOT: moe_append_shared_experts(

// CUBIN: gpu.binary @moe_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}bin = "\7FELF
