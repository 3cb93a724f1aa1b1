// REQUIRES: ptxas
// RUN: moe-opt %S/../../examples/deepseekmoe-small-model.mlir --moe-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s
// RUN: moe-opt %S/../../examples/deepseekmoe-small-model.mlir --moe-gpu-pipeline="chip=sm_90 format=isa" | %python %S/../Target/NVPTX/extract_ptx.py > %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin

// A whole model for the GPU: every function's work is kernels on one
// stream, the host only allocating, launching and copying device buffers.
// A decoder layer: RMSNorm, the q/k/v projections (RoPE on q and k in
// their kernels), the new keys and values transposed straight into the
// cache (head-major, a parallel-loop kernel each), attention, o_proj with
// the residual added in its kernel, then the MLP block, its last kernel
// adding the residual; the new hidden states are copied into the caller's
// buffer, and the stream is waited for once.
// CHECK-LABEL: llvm.func @embed(
// CHECK: @moe_kernels::@moe_embedding
// CHECK: llvm.call @mgpuStreamSynchronize
// CHECK-LABEL: llvm.func @decoder_layer_0(
// CHECK: @moe_kernels::@moe_rms_norm
// CHECK-COUNT-3: @moe_kernels::@moe_linear
// CHECK-NOT: @moe_kernels::@moe_rope
// CHECK-COUNT-2: @moe_kernels::@moe_decoder_layer_0_loop
// CHECK-NOT: @moe_kernels::@moe_decoder_layer_0_loop
// CHECK: @moe_kernels::@moe_attention
// CHECK: @moe_kernels::@moe_linear
// CHECK-NOT: @moe_kernels::@moe_decoder_layer_0_loop
// CHECK: @moe_kernels::@moe_rms_norm
// CHECK: @moe_kernels::@moe_swiglu_gate_up
// CHECK: @moe_kernels::@moe_swiglu_down
// CHECK-NOT: @moe_kernels::
// CHECK: llvm.call @mgpuMemcpy
// CHECK: llvm.call @mgpuStreamSynchronize
// The host's choices between kernel forms (tiles or warps, one chunk of
// attention positions or several) do not break the stream: one per
// function, waited for once.
// CHECK-LABEL: llvm.func @decoder_layer_1(
// CHECK: llvm.call @mgpuStreamCreate
// CHECK-NOT: llvm.call @mgpuStreamCreate
// CHECK: @moe_kernels::@moe_linear
// CHECK-NOT: llvm.call @mgpuStream
// CHECK: @moe_kernels::@moe_attention
// CHECK-NOT: llvm.call @mgpuStream
// CHECK: @moe_kernels::@moe_attention_combine
// CHECK-NOT: llvm.call @mgpuStream
// CHECK: @moe_kernels::@moe_router_logits
// CHECK-NOT: llvm.call @mgpuStream
// CHECK: @moe_kernels::@moe_experts_gate_up
// CHECK-NOT: llvm.call @mgpuStream
// CHECK: @moe_kernels::@moe_experts_down
// CHECK-NOT: llvm.call @mgpuStream
// CHECK: @moe_kernels::@moe_combine
// CHECK-NOT: @moe_kernels::
// CHECK-NOT: llvm.call @mgpuStreamCreate
// CHECK: llvm.call @mgpuStreamSynchronize
// CHECK-NOT: llvm.call @mgpuStreamCreate
// CHECK: llvm.func @_mlir_ciface_decoder_layer_1(
// CHECK-LABEL: llvm.func @head(
// CHECK: @moe_kernels::@moe_rms_norm
// CHECK: @moe_kernels::@moe_linear
// CHECK: llvm.call @mgpuStreamSynchronize
// CHECK: llvm.func @moec_call_embed(
// CHECK: llvm.func @moec_call_head(
